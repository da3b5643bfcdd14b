-- AlterTable
ALTER TABLE "run" ADD COLUMN "archived_at" DATETIME;

-- CreateTable
CREATE TABLE "run_log" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "run_id" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "stage" TEXT,
    "shard" INTEGER NOT NULL DEFAULT -1,
    "message" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "run_log_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "run_log_run_id_id_idx" ON "run_log"("run_id", "id");


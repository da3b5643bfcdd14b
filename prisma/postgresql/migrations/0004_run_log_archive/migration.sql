-- AlterTable
ALTER TABLE "run" ADD COLUMN "archived_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "run_log" (
    "id" SERIAL NOT NULL,
    "run_id" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "stage" TEXT,
    "shard" INTEGER NOT NULL DEFAULT -1,
    "message" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "run_log_run_id_id_idx" ON "run_log"("run_id", "id");

-- AddForeignKey
ALTER TABLE "run_log" ADD CONSTRAINT "run_log_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

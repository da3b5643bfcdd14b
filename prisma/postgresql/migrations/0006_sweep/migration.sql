-- AlterTable
ALTER TABLE "run" ADD COLUMN "sweep_id" TEXT,
ADD COLUMN "pruned_at_epoch" INTEGER;

-- CreateTable
CREATE TABLE "sweep" (
    "id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "spec" JSONB NOT NULL,
    "metric" TEXT NOT NULL DEFAULT 'CIDEr',
    "prune" TEXT NOT NULL DEFAULT 'none',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sweep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "run_sweep_id_idx" ON "run"("sweep_id");

-- CreateIndex
CREATE INDEX "sweep_created_at_idx" ON "sweep"("created_at");

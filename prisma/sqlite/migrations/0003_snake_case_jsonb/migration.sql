-- Tables and columns become snake_case so SQL users can write `select * from run` without quoting,
-- and JSON columns are declared JSONB (what Prisma declares for Json on SQLite; the values stay
-- JSON text). SQLite cannot change a column type in place, so each table is rebuilt: new tables,
-- rows copied parents first, old tables dropped children first (so no cascade reaches a new row).
-- SQLite names are case-insensitive ("Run" is "run"), so the old tables first move aside.

ALTER TABLE "Dataset" RENAME TO "old_Dataset";
ALTER TABLE "Run" RENAME TO "old_Run";
ALTER TABLE "StageRun" RENAME TO "old_StageRun";
ALTER TABLE "Shard" RENAME TO "old_Shard";
ALTER TABLE "Checkpoint" RENAME TO "old_Checkpoint";
ALTER TABLE "Metric" RENAME TO "old_Metric";
ALTER TABLE "Evaluation" RENAME TO "old_Evaluation";
ALTER TABLE "EvaluationSample" RENAME TO "old_EvaluationSample";

CREATE TABLE "dataset" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "source_path" TEXT NOT NULL,
    "manifest_path" TEXT NOT NULL,
    "item_count" INTEGER NOT NULL,
    "caption_count" INTEGER NOT NULL,
    "splits" JSONB NOT NULL,
    "report" JSONB NOT NULL,
    "problem_count" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

CREATE TABLE "run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "dataset_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" JSONB NOT NULL,
    "executor" TEXT NOT NULL,
    "backend" TEXT,
    "error" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    "started_at" DATETIME,
    "finished_at" DATETIME,
    CONSTRAINT "run_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "dataset" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE TABLE "stage_run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "run_id" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "shard" INTEGER NOT NULL DEFAULT -1,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "progress" REAL NOT NULL DEFAULT 0,
    "message" TEXT,
    "figures" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "worker_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    "started_at" DATETIME,
    "finished_at" DATETIME,
    CONSTRAINT "stage_run_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "shard" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "run_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "item_count" INTEGER NOT NULL,
    "failed" JSONB NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "shard_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "checkpoint" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "run_id" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "val_metric" TEXT,
    "val_score" REAL,
    "is_best" BOOLEAN NOT NULL DEFAULT false,
    "on_disk" BOOLEAN NOT NULL DEFAULT true,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "checkpoint_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "metric" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "run_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "value" REAL NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "metric_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "evaluation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "run_id" TEXT NOT NULL,
    "checkpoint_id" TEXT,
    "split" TEXT NOT NULL,
    "is_final" BOOLEAN NOT NULL DEFAULT false,
    "settings" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "scores" JSONB,
    "image_count" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" DATETIME,
    CONSTRAINT "evaluation_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "evaluation_checkpoint_id_fkey" FOREIGN KEY ("checkpoint_id") REFERENCES "checkpoint" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE TABLE "evaluation_sample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "evaluation_id" TEXT NOT NULL,
    "image_id" TEXT NOT NULL,
    "candidate" TEXT NOT NULL,
    "reference_captions" JSONB NOT NULL,
    "bleu4" REAL NOT NULL,
    "cider" REAL NOT NULL,
    "rouge_l" REAL NOT NULL,
    CONSTRAINT "evaluation_sample_evaluation_id_fkey" FOREIGN KEY ("evaluation_id") REFERENCES "evaluation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

INSERT INTO "dataset" ("id", "name", "format", "source_path", "manifest_path", "item_count", "caption_count", "splits", "report", "problem_count", "created_at", "updated_at")
SELECT "id", "name", "format", "sourcePath", "manifestPath", "itemCount", "captionCount", "splits", "report", "problemCount", "createdAt", "updatedAt" FROM "old_Dataset";

INSERT INTO "run" ("id", "name", "dataset_id", "status", "config", "executor", "backend", "error", "created_at", "updated_at", "started_at", "finished_at")
SELECT "id", "name", "datasetId", "status", "config", "executor", "backend", "error", "createdAt", "updatedAt", "startedAt", "finishedAt" FROM "old_Run";

INSERT INTO "stage_run" ("id", "run_id", "stage", "shard", "status", "progress", "message", "figures", "attempts", "error", "worker_id", "created_at", "updated_at", "started_at", "finished_at")
SELECT "id", "runId", "stage", "shard", "status", "progress", "message", "figures", "attempts", "error", "workerId", "createdAt", "updatedAt", "startedAt", "finishedAt" FROM "old_StageRun";

INSERT INTO "shard" ("id", "run_id", "kind", "index", "path", "item_count", "failed", "sha256", "bytes", "created_at", "updated_at")
SELECT "id", "runId", "kind", "index", "path", "itemCount", "failed", "sha256", "bytes", "createdAt", "updatedAt" FROM "old_Shard";

INSERT INTO "checkpoint" ("id", "run_id", "step", "epoch", "kind", "path", "val_metric", "val_score", "is_best", "on_disk", "created_at")
SELECT "id", "runId", "step", "epoch", "kind", "path", "valMetric", "valScore", "isBest", "onDisk", "createdAt" FROM "old_Checkpoint";

INSERT INTO "metric" ("id", "run_id", "name", "step", "epoch", "value", "created_at")
SELECT "id", "runId", "name", "step", "epoch", "value", "createdAt" FROM "old_Metric";

INSERT INTO "evaluation" ("id", "run_id", "checkpoint_id", "split", "is_final", "settings", "status", "scores", "image_count", "error", "created_at", "finished_at")
SELECT "id", "runId", "checkpointId", "split", "isFinal", "settings", "status", "scores", "imageCount", "error", "createdAt", "finishedAt" FROM "old_Evaluation";

INSERT INTO "evaluation_sample" ("id", "evaluation_id", "image_id", "candidate", "reference_captions", "bleu4", "cider", "rouge_l")
SELECT "id", "evaluationId", "imageId", "candidate", "references", "bleu4", "cider", "rougeL" FROM "old_EvaluationSample";

DROP TABLE "old_EvaluationSample";
DROP TABLE "old_Evaluation";
DROP TABLE "old_Metric";
DROP TABLE "old_Checkpoint";
DROP TABLE "old_Shard";
DROP TABLE "old_StageRun";
DROP TABLE "old_Run";
DROP TABLE "old_Dataset";

CREATE UNIQUE INDEX "dataset_name_key" ON "dataset"("name");
CREATE INDEX "run_created_at_idx" ON "run"("created_at");
CREATE INDEX "stage_run_run_id_idx" ON "stage_run"("run_id");
CREATE UNIQUE INDEX "stage_run_run_id_stage_shard_key" ON "stage_run"("run_id", "stage", "shard");
CREATE UNIQUE INDEX "shard_run_id_kind_index_key" ON "shard"("run_id", "kind", "index");
CREATE UNIQUE INDEX "checkpoint_run_id_step_key" ON "checkpoint"("run_id", "step");
CREATE INDEX "metric_run_id_name_idx" ON "metric"("run_id", "name");
CREATE UNIQUE INDEX "metric_run_id_name_step_key" ON "metric"("run_id", "name", "step");
CREATE INDEX "evaluation_run_id_idx" ON "evaluation"("run_id");
CREATE INDEX "evaluation_sample_evaluation_id_cider_idx" ON "evaluation_sample"("evaluation_id", "cider");
CREATE UNIQUE INDEX "evaluation_sample_evaluation_id_image_id_key" ON "evaluation_sample"("evaluation_id", "image_id");

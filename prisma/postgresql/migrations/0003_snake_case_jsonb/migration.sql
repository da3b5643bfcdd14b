-- Tables and columns become snake_case so psql users can write `select * from run` without quoting,
-- and JSON text columns become jsonb. Renames keep every row; the text holds valid JSON (written by
-- JSON.stringify), so the casts cannot fail on data the application wrote.

ALTER TABLE "Dataset" RENAME TO "dataset";
ALTER TABLE "dataset" RENAME CONSTRAINT "Dataset_pkey" TO "dataset_pkey";
ALTER TABLE "dataset" RENAME COLUMN "sourcePath" TO "source_path";
ALTER TABLE "dataset" RENAME COLUMN "manifestPath" TO "manifest_path";
ALTER TABLE "dataset" RENAME COLUMN "itemCount" TO "item_count";
ALTER TABLE "dataset" RENAME COLUMN "captionCount" TO "caption_count";
ALTER TABLE "dataset" RENAME COLUMN "problemCount" TO "problem_count";
ALTER TABLE "dataset" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "dataset" RENAME COLUMN "updatedAt" TO "updated_at";

ALTER TABLE "Run" RENAME TO "run";
ALTER TABLE "run" RENAME CONSTRAINT "Run_pkey" TO "run_pkey";
ALTER TABLE "run" RENAME COLUMN "datasetId" TO "dataset_id";
ALTER TABLE "run" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "run" RENAME COLUMN "updatedAt" TO "updated_at";
ALTER TABLE "run" RENAME COLUMN "startedAt" TO "started_at";
ALTER TABLE "run" RENAME COLUMN "finishedAt" TO "finished_at";

ALTER TABLE "StageRun" RENAME TO "stage_run";
ALTER TABLE "stage_run" RENAME CONSTRAINT "StageRun_pkey" TO "stage_run_pkey";
ALTER TABLE "stage_run" RENAME COLUMN "runId" TO "run_id";
ALTER TABLE "stage_run" RENAME COLUMN "workerId" TO "worker_id";
ALTER TABLE "stage_run" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "stage_run" RENAME COLUMN "updatedAt" TO "updated_at";
ALTER TABLE "stage_run" RENAME COLUMN "startedAt" TO "started_at";
ALTER TABLE "stage_run" RENAME COLUMN "finishedAt" TO "finished_at";

ALTER TABLE "Shard" RENAME TO "shard";
ALTER TABLE "shard" RENAME CONSTRAINT "Shard_pkey" TO "shard_pkey";
ALTER TABLE "shard" RENAME COLUMN "runId" TO "run_id";
ALTER TABLE "shard" RENAME COLUMN "itemCount" TO "item_count";
ALTER TABLE "shard" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "shard" RENAME COLUMN "updatedAt" TO "updated_at";

ALTER TABLE "Checkpoint" RENAME TO "checkpoint";
ALTER TABLE "checkpoint" RENAME CONSTRAINT "Checkpoint_pkey" TO "checkpoint_pkey";
ALTER TABLE "checkpoint" RENAME COLUMN "runId" TO "run_id";
ALTER TABLE "checkpoint" RENAME COLUMN "valMetric" TO "val_metric";
ALTER TABLE "checkpoint" RENAME COLUMN "valScore" TO "val_score";
ALTER TABLE "checkpoint" RENAME COLUMN "isBest" TO "is_best";
ALTER TABLE "checkpoint" RENAME COLUMN "onDisk" TO "on_disk";
ALTER TABLE "checkpoint" RENAME COLUMN "createdAt" TO "created_at";

ALTER TABLE "Metric" RENAME TO "metric";
ALTER TABLE "metric" RENAME CONSTRAINT "Metric_pkey" TO "metric_pkey";
ALTER TABLE "metric" RENAME COLUMN "runId" TO "run_id";
ALTER TABLE "metric" RENAME COLUMN "createdAt" TO "created_at";

ALTER TABLE "Evaluation" RENAME TO "evaluation";
ALTER TABLE "evaluation" RENAME CONSTRAINT "Evaluation_pkey" TO "evaluation_pkey";
ALTER TABLE "evaluation" RENAME COLUMN "runId" TO "run_id";
ALTER TABLE "evaluation" RENAME COLUMN "checkpointId" TO "checkpoint_id";
ALTER TABLE "evaluation" RENAME COLUMN "isFinal" TO "is_final";
ALTER TABLE "evaluation" RENAME COLUMN "imageCount" TO "image_count";
ALTER TABLE "evaluation" RENAME COLUMN "createdAt" TO "created_at";
ALTER TABLE "evaluation" RENAME COLUMN "finishedAt" TO "finished_at";

ALTER TABLE "EvaluationSample" RENAME TO "evaluation_sample";
ALTER TABLE "evaluation_sample" RENAME CONSTRAINT "EvaluationSample_pkey" TO "evaluation_sample_pkey";
ALTER TABLE "evaluation_sample" RENAME COLUMN "evaluationId" TO "evaluation_id";
ALTER TABLE "evaluation_sample" RENAME COLUMN "imageId" TO "image_id";
ALTER TABLE "evaluation_sample" RENAME COLUMN "references" TO "reference_captions";
ALTER TABLE "evaluation_sample" RENAME COLUMN "rougeL" TO "rouge_l";

ALTER SEQUENCE "Metric_id_seq" RENAME TO "metric_id_seq";
ALTER SEQUENCE "EvaluationSample_id_seq" RENAME TO "evaluation_sample_id_seq";

ALTER INDEX "Dataset_name_key" RENAME TO "dataset_name_key";
ALTER INDEX "Run_createdAt_idx" RENAME TO "run_created_at_idx";
ALTER INDEX "StageRun_runId_idx" RENAME TO "stage_run_run_id_idx";
ALTER INDEX "StageRun_runId_stage_shard_key" RENAME TO "stage_run_run_id_stage_shard_key";
ALTER INDEX "Shard_runId_kind_index_key" RENAME TO "shard_run_id_kind_index_key";
ALTER INDEX "Checkpoint_runId_step_key" RENAME TO "checkpoint_run_id_step_key";
ALTER INDEX "Metric_runId_name_idx" RENAME TO "metric_run_id_name_idx";
ALTER INDEX "Metric_runId_name_step_key" RENAME TO "metric_run_id_name_step_key";
ALTER INDEX "Evaluation_runId_idx" RENAME TO "evaluation_run_id_idx";
ALTER INDEX "EvaluationSample_evaluationId_cider_idx" RENAME TO "evaluation_sample_evaluation_id_cider_idx";
ALTER INDEX "EvaluationSample_evaluationId_imageId_key" RENAME TO "evaluation_sample_evaluation_id_image_id_key";

ALTER TABLE "run" RENAME CONSTRAINT "Run_datasetId_fkey" TO "run_dataset_id_fkey";
ALTER TABLE "stage_run" RENAME CONSTRAINT "StageRun_runId_fkey" TO "stage_run_run_id_fkey";
ALTER TABLE "shard" RENAME CONSTRAINT "Shard_runId_fkey" TO "shard_run_id_fkey";
ALTER TABLE "checkpoint" RENAME CONSTRAINT "Checkpoint_runId_fkey" TO "checkpoint_run_id_fkey";
ALTER TABLE "metric" RENAME CONSTRAINT "Metric_runId_fkey" TO "metric_run_id_fkey";
ALTER TABLE "evaluation" RENAME CONSTRAINT "Evaluation_runId_fkey" TO "evaluation_run_id_fkey";
ALTER TABLE "evaluation" RENAME CONSTRAINT "Evaluation_checkpointId_fkey" TO "evaluation_checkpoint_id_fkey";
ALTER TABLE "evaluation_sample" RENAME CONSTRAINT "EvaluationSample_evaluationId_fkey" TO "evaluation_sample_evaluation_id_fkey";

-- A text default cannot be cast to jsonb; recordShard always writes the column.
ALTER TABLE "shard" ALTER COLUMN "failed" DROP DEFAULT;
ALTER TABLE "dataset" ALTER COLUMN "report" TYPE JSONB USING "report"::jsonb;
ALTER TABLE "dataset" ALTER COLUMN "splits" TYPE JSONB USING "splits"::jsonb;
ALTER TABLE "run" ALTER COLUMN "config" TYPE JSONB USING "config"::jsonb;
ALTER TABLE "stage_run" ALTER COLUMN "figures" TYPE JSONB USING "figures"::jsonb;
ALTER TABLE "shard" ALTER COLUMN "failed" TYPE JSONB USING "failed"::jsonb;
ALTER TABLE "evaluation" ALTER COLUMN "settings" TYPE JSONB USING "settings"::jsonb;
ALTER TABLE "evaluation" ALTER COLUMN "scores" TYPE JSONB USING "scores"::jsonb;
ALTER TABLE "evaluation_sample" ALTER COLUMN "reference_captions" TYPE JSONB USING "reference_captions"::jsonb;

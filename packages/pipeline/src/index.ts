export { QUEUE_NAMES, MODEL_STAGES, stageJobId } from './queues';
export { payloadSchemas, shardPayloadSchema, trainPayloadSchema, evaluatePayloadSchema } from './payloads';
export type { ShardPayload, TrainPayload, EvaluatePayload, StagePayloads } from './payloads';
export type { StageHandler, StageHandlers } from './handlers';
export { runStage, parsePayload, stageKeyOf, recordAbandonedJob, StageFailedError } from './stage-runner';
export type { StageRunDeps, StageOutcome } from './stage-runner';
export { planStageKeys } from './run-plan';
export type { RunPlan } from './run-plan';
export { runPipelineLocally, runEvaluationLocally } from './executors/local';
export type { LocalDeps } from './executors/local';
export {
  enqueueRunFlow,
  enqueueEvaluation,
  removeRunJobs,
  startWorkerPool,
  STAGE_JOB_OPTIONS,
} from './executors/bullmq';
export type { WorkerPool, WorkerPoolOptions } from './executors/bullmq';
export {
  createWorkerConnection,
  createProducerConnection,
  redactRedisUrl,
  workerReconnectDelayMs,
} from './redis';
export { queueStatus, countStageWorkers, QUEUE_JOB_STATES } from './queue-status';
export type { QueueStatus, QueueJobState, StaleActiveJob } from './queue-status';
// The run config lives in @captioner/stage-contract (below the stages, which read it); re-exported for apps.
export { runConfigSchema, resolveRunConfig, runConfigSection } from '@captioner/stage-contract';
export type { RunConfig, RunConfigInput } from '@captioner/stage-contract';
export { createRunWithPlan, loadRunPlan, missingSplitMessage } from './runs';
export {
  startRun,
  resumeRun,
  cancelRun,
  requestEvaluation,
  waitForRun,
  waitForEvaluation,
} from './operations';
export type { OperationContext, WaitOptions } from './operations';
export { startSweep, cancelSweep } from './sweeps';
export { parseGridAxis } from '@captioner/stage-contract';
export type { SweepInput } from './sweeps';
export { rankSweepRuns } from './sweep-ranking';
export type { RankableRun, RankedRun } from './sweep-ranking';

export { openDatabase, providerOf, redactUrl } from './client';
export type { Database, DbClient, DatabaseProvider } from './client';
export { applyMigrations, MigrationChangedError } from './migrate';
export { newId } from './ids';
export { upsertDataset, listDatasets, getDataset } from './repositories/datasets';
export type { DatasetRecordInput } from './repositories/datasets';
export {
  createRun,
  getRun,
  getRunDetails,
  listRuns,
  setRunStatus,
  setRunBackend,
  recordRunAutoBatch,
} from './repositories/runs';
export { markRunCancelled, markRunResumable } from './repositories/run-lifecycle';
export {
  RUN_STATUSES,
  STAGE_STATUSES,
  EVALUATION_STATUSES,
  RUN_TRANSITIONS,
  STAGE_TRANSITIONS,
  EVALUATION_TRANSITIONS,
  FINISHED_RUN_STATUSES,
  FINISHED_EVALUATION_STATUSES,
  isFinishedRunStatus,
  canTransition,
  statesLeadingTo,
} from './state-machines';
export type { RunStatus, StageStatus, EvaluationStatus } from './state-machines';
export {
  createStageRuns,
  startStage,
  updateStageProgress,
  finishStage,
  getStage,
  listStages,
  cancelUnfinishedStages,
  reopenUnfinishedStages,
  inPipelineOrder,
  STAGE_KINDS,
  WHOLE_RUN,
} from './repositories/stages';
export type { StageKind, StageKey } from './repositories/stages';
export {
  recordShard,
  listShards,
  recordCheckpoint,
  markCheckpointPruned,
  findCheckpoint,
  recordMetric,
} from './repositories/artifacts';
export {
  createEvaluation,
  setEvaluationStatus,
  completeEvaluation,
  getEvaluation,
  getEvaluationExtremes,
  findFinalEvaluation,
  findEvaluation,
  listEvaluationSamples,
} from './repositories/evaluations';
export type { EvaluationSampleInput, StoredScores } from './repositories/evaluations';
export { createScratchDatabase, testPostgresAdminUrl } from './scratch';
export { testDatasetRecord } from './test-fixtures';
export type { ScratchDatabase } from './scratch';
export { jsonColumn, toJsonColumn, readRunConfig } from './json-columns';
export type { JsonValue } from './json-columns';
export {
  summarizeStages,
  runListView,
  sweepListView,
  runDetailsView,
  evaluationView,
  readScores,
} from './views';
export type {
  Scores,
  Grounding,
  Diversity,
  StageSummary,
  RunListEntry,
  SweepListEntry,
  RunDetails,
} from './views';
export {
  metricsSince,
  flattenConfig,
  diffConfigs,
  compareRunsView,
  galleryView,
  sampleImageSource,
} from './dashboard-views';
export type { MetricPoint, RunComparison, SampleOrder } from './dashboard-views';
export { recordRunLog, listRunLogs, setRunArchived, deleteRunRows } from './repositories/run-logs';
export type { RunLogLevel } from './repositories/run-logs';
export {
  registerEncoderWeights,
  listEncoderWeights,
  findEncoderWeights,
  assertSameWeights,
  isEncoderWeightsName,
  resolveEncoderWeights,
  ENCODER_NAME_PATTERN,
} from './repositories/encoder-weights';
export type { EncoderWeightsInput } from './repositories/encoder-weights';
export {
  createSweep,
  getSweep,
  listSweeps,
  setSweepStatus,
  listSweepRuns,
  markRunPruned,
} from './repositories/sweeps';
export type { SweepStatus } from './repositories/sweeps';

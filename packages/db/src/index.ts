export { openDatabase, providerOf, redactUrl } from './client';
export type { Database, DbClient, DatabaseProvider } from './client';
export { applyMigrations } from './migrate';
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
  RUN_STATUSES,
} from './repositories/runs';
export type { RunStatus } from './repositories/runs';
export {
  createStageRuns,
  startStage,
  updateStageProgress,
  finishStage,
  getStage,
  listStages,
  STAGE_KINDS,
  WHOLE_RUN,
} from './repositories/stages';
export type { StageKind, StageKey, StageStatus } from './repositories/stages';
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
} from './repositories/evaluations';
export type { EvaluationSampleInput } from './repositories/evaluations';
export { createScratchDatabase, testPostgresAdminUrl } from './scratch';
export type { ScratchDatabase } from './scratch';
export { jsonColumn, toJsonColumn, readRunConfig } from './json-columns';
export type { JsonValue } from './json-columns';
export { summarizeStages, runListView, runDetailsView, evaluationView } from './views';
export type { Scores, StageSummary, RunListEntry, RunDetails } from './views';

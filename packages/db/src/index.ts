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
export { createScratchDatabase, TEST_POSTGRES_ADMIN_URL } from './scratch';
export type { ScratchDatabase } from './scratch';
export type { StageContext } from './stage-context';
export { parseJsonColumn, readRunConfig } from './json-columns';
export { summarizeStages, runListView, runDetailsView, evaluationView } from './views';
export type { Scores, StageSummary, RunListEntry, RunDetails } from './views';

export { createStageHandlers } from './handlers';
export { runWorker } from './worker';
export type { WorkerOptions } from './worker';

import type { PreprocessSettings } from '../settings';

/** Messages between benchPreprocess (parent) and bench-worker.ts (child process), over the fork IPC channel. */
export type ParentMessage =
  | { type: 'prepare'; files: string[]; settings: PreprocessSettings }
  | { type: 'start' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; prepared: number }
  | { type: 'failed'; error: string };

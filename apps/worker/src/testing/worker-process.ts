// A worker process for tests: `node --import tsx worker-process.ts STAGES`, configured by the environment.
import { loadConfig } from '@captioner/core';
import type { StageKind } from '@captioner/db';
import { runWorker } from '../worker';

const stages = (process.argv[2] ?? 'preprocess').split(',') as StageKind[];
await runWorker(loadConfig(), { stages, concurrency: 1, shutdownTimeoutMs: 10_000 });
// Open handles of the stage packages (tfjs) must not keep a stopped worker alive.
process.exit(0);

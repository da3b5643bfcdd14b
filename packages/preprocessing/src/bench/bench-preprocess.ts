import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptionerError } from '@captioner/core';
import type { ProgressListener } from '@captioner/core';
import { DEFAULT_PREPROCESS_SETTINGS } from '../settings';
import { ensureBenchImages } from './bench-images';
import type { ParentMessage, WorkerMessage } from './bench-protocol';

export interface BenchPreprocessOptions {
  /**
   * Generated 500x375 JPEGs to prepare, split evenly over the processes.
   * @defaultValue 256
   */
  images?: number;
  /**
   * Worker processes, each on one core (see bench-worker.ts).
   * @defaultValue 1
   */
  processes?: number;
  /**
   * Where the generated images are cached between runs.
   * @defaultValue `<os tmpdir>/captioner-bench-preprocess`
   */
  workDir?: string;
  onProgress?: ProgressListener;
}

export interface BenchPreprocessResult {
  imagesPerSecond: number;
  processes: number;
  images: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * The worker script next to this module: bench-worker.ts in the sources (run through tsx), or
 * bench-worker.js when this module runs from the package's built dist/ (scripts/build-dist.mjs).
 */
const BUILT_WORKER_FILE = path.join(here, 'bench-worker.js');
const FROM_DIST = fs.existsSync(BUILT_WORKER_FILE);
const WORKER_FILE = FROM_DIST ? BUILT_WORKER_FILE : path.join(here, 'bench-worker.ts');
/** The package directory: `--import tsx` is resolved from the child's working directory. */
const PACKAGE_DIR = path.resolve(here, '..', '..');

/**
 * `captioner bench preprocess`: times prepareImage at the default settings (224, shorter side 256)
 * over deterministic generated 500x375 JPEGs, in `processes` forked processes that each take an equal
 * part. The clock runs from the moment every process has loaded sharp and warmed up to the moment the
 * last one finishes, so process start-up is not counted.
 */
export async function benchPreprocess(options: BenchPreprocessOptions = {}): Promise<BenchPreprocessResult> {
  const images = options.images ?? 256;
  const processes = options.processes ?? 1;
  const workDir = options.workDir ?? path.join(os.tmpdir(), 'captioner-bench-preprocess');
  const onProgress = options.onProgress;
  if (!Number.isInteger(images) || images < 1)
    throw new RangeError(`images must be a positive integer, got ${images}`);
  if (!Number.isInteger(processes) || processes < 1 || processes > images) {
    throw new RangeError(`processes must be an integer between 1 and images (${images}), got ${processes}`);
  }

  const files = await ensureBenchImages(workDir, images, (done) =>
    onProgress?.({ fraction: (0.5 * done) / images, message: `generating image ${done}/${images}` }),
  );
  const parts = Array.from({ length: processes }, (_, p) =>
    files.slice(Math.floor((p * images) / processes), Math.floor(((p + 1) * images) / processes)),
  );

  const workers = parts.map(() => forkWorker());
  try {
    onProgress?.({ fraction: 0.5, message: `starting ${processes} process(es)` });
    await Promise.all(
      workers.map((w, p) =>
        exchange(w, { type: 'prepare', files: parts[p], settings: DEFAULT_PREPROCESS_SETTINGS }, 'ready'),
      ),
    );
    const started = performance.now();
    let finished = 0;
    await Promise.all(
      workers.map(async (w) => {
        await exchange(w, { type: 'start' }, 'done');
        finished++;
        onProgress?.({
          fraction: 0.5 + (0.5 * finished) / processes,
          message: `${finished}/${processes} process(es) done`,
        });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const imagesPerSecond = images / seconds;
    onProgress?.({ fraction: 1, message: 'done', figures: { imagesPerSecond, processes, images } });
    return { imagesPerSecond, processes, images };
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
}

function forkWorker(): ChildProcess {
  return fork(WORKER_FILE, [], {
    cwd: PACKAGE_DIR,
    execArgv: FROM_DIST ? [] : ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends `message` and waits for the reply of type `expected`; rejects if the worker fails or exits. */
function exchange(
  worker: ChildProcess,
  message: ParentMessage,
  expected: WorkerMessage['type'],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onError);
    };
    const onMessage = (reply: WorkerMessage) => {
      if (reply.type === expected) {
        cleanUp();
        resolve();
      } else if (reply.type === 'failed') {
        cleanUp();
        reject(new CaptionerError(`bench worker ${worker.pid}: ${reply.error}`));
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanUp();
      reject(
        new CaptionerError(
          `bench worker ${worker.pid} exited (${signal ?? `code ${code}`}) before '${expected}'`,
        ),
      );
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onError);
    worker.send(message);
  });
}

/** Disconnects (the worker exits by itself) and waits for the exit; kills a worker that does not go. */
async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  if (worker.connected) worker.disconnect();
  const timer = setTimeout(() => worker.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { ConfigError, describeError } from '@captioner/core';
import type { BackendName } from '@captioner/core';

const MB = 1024 * 1024;

/**
 * Shares of memory `batchSize: 'auto'` may fill when `training.memoryBudgetMB` is not set. A GPU is the
 * worker's own, but TensorFlow's allocator fragments and cuDNN takes workspace beside the tensors tfjs
 * counts: 60 %. Host memory is shared with the features held in JavaScript, the database, other
 * workers: 25 %. wasm's heap is 32-bit (4 GB at most, tfjs' build grows it on demand): at most 2 GB.
 */
export const DEFAULT_BUDGET_SHARE = { gpu: 0.6, host: 0.25 } as const;
export const WASM_BUDGET_CAP_MB = 2048;

/** The peak memory budget (MB) for a backend: `configured` when given, else the default share above. */
export async function memoryBudgetMB(backend: BackendName, configured?: number): Promise<number> {
  if (configured !== undefined) return configured;
  if (backend === 'tfjs-node-gpu') return Math.floor(DEFAULT_BUDGET_SHARE.gpu * (await gpuMemoryMB()));
  const host = Math.floor(DEFAULT_BUDGET_SHARE.host * (await hostMemoryMB()));
  return backend === 'wasm' ? Math.min(host, WASM_BUDGET_CAP_MB) : host;
}

/** The machine's memory, or the container's limit when a cgroup sets a smaller one. */
export async function hostMemoryMB(): Promise<number> {
  const total = os.totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const limit = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    // 'max' (no limit) parses as NaN; cgroup v1 writes a huge number for no limit.
    if (Number.isFinite(limit) && limit > 0 && limit < total) return limit / MB;
  }
  return total / MB;
}

/**
 * Total memory of the GPU this process uses, from `nvidia-smi` (tfjs-node-gpu does not report it): the
 * first device of CUDA_VISIBLE_DEVICES when that pins one, else device 0.
 */
export async function gpuMemoryMB(): Promise<number> {
  const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')[0].trim();
  const device = /^\d+$/.test(visible) ? visible : '0';
  try {
    const { stdout } = await promisify(execFile)(
      'nvidia-smi',
      [`--id=${device}`, '--query-gpu=memory.total', '--format=csv,noheader,nounits'],
      { timeout: 10_000 },
    );
    const mb = Number(stdout.trim().split('\n')[0]);
    if (!Number.isFinite(mb) || mb <= 0) throw new Error(`unexpected output '${stdout.trim()}'`);
    return mb;
  } catch (error) {
    throw new ConfigError(
      `training.batchSize 'auto' on tfjs-node-gpu needs the GPU's memory: nvidia-smi failed (${describeError(error)}); set training.memoryBudgetMB`,
    );
  }
}

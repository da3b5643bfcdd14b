import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Check } from './check';

const run = promisify(execFile);

/** Below this much free space under CAPTIONER_HOME a run cannot write its shards and checkpoints. */
export const MIN_FREE_BYTES = 1024 ** 3;
/** Below this, warn: one feature-extraction run of a real data set writes gigabytes. */
export const LOW_FREE_BYTES = 10 * 1024 ** 3;

/** Free space under CAPTIONER_HOME (or its nearest existing parent, before the first run creates it). */
export async function checkDisk(home: string): Promise<Check> {
  let dir = path.resolve(home);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const stats = await fs.promises.statfs(dir);
    const free = stats.bavail * stats.bsize;
    await fs.promises.access(dir, fs.constants.W_OK);
    const gib = (free / 1024 ** 3).toFixed(1);
    const status = free < MIN_FREE_BYTES ? 'fail' : free < LOW_FREE_BYTES ? 'warn' : 'ok';
    return {
      name: 'disk',
      status,
      required: true,
      summary: `${gib} GiB free under ${home}${dir === path.resolve(home) ? '' : ` (measured at ${dir})`}`,
      details: { home, measuredAt: dir, freeBytes: free },
    };
  } catch (error) {
    return {
      name: 'disk',
      status: 'fail',
      required: true,
      summary: `${dir} is not writable: ${(error as Error).message}`,
      details: { home, measuredAt: dir },
    };
  }
}

/**
 * The NVIDIA GPUs this process may use: `nvidia-smi` lists the machine's, CUDA_VISIBLE_DEVICES
 * (set by `captioner worker --gpu N`) narrows them. Required when CAPTIONER_BACKEND=tfjs-node-gpu.
 */
export async function checkGpus(backend: string | undefined, env: NodeJS.ProcessEnv): Promise<Check> {
  const required = backend === 'tfjs-node-gpu';
  const visible = env.CUDA_VISIBLE_DEVICES;
  try {
    const { stdout } = await run(
      'nvidia-smi',
      ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits'],
      { timeout: 10_000 },
    );
    const devices = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [index, name, memoryMiB, driver] = line.split(',').map((s) => s.trim());
        return { index: Number(index), name, memoryMiB: Number(memoryMiB), driver };
      });
    const names = devices.map((d) => `${d.index}: ${d.name} (${d.memoryMiB} MiB)`).join(', ');
    return {
      name: 'gpu',
      status: devices.length > 0 ? 'ok' : required ? 'fail' : 'skip',
      required,
      summary: `${devices.length} NVIDIA GPU(s)${names ? `: ${names}` : ''}${visible !== undefined ? `; CUDA_VISIBLE_DEVICES=${visible}` : ''}`,
      details: { devices, cudaVisibleDevices: visible ?? null },
    };
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'nvidia-smi not found' : String(error);
    return {
      name: 'gpu',
      status: required ? 'fail' : 'skip',
      required,
      summary: `no NVIDIA GPU seen (${reason})`,
      details: { devices: [], cudaVisibleDevices: visible ?? null, reason },
    };
  }
}

/**
 * The Chromium of the model's browser test (packages/model/src/browser.test.ts, same candidates):
 * only the tests need it, so never required here.
 */
export function checkBrowser(env: NodeJS.ProcessEnv): Check {
  const candidates = [
    '/usr/bin/chromium-headless-shell',
    '/usr/bin/chromium',
    '/usr/bin/google-chrome',
    '/usr/bin/chromium-browser',
  ];
  const override = env.CAPTIONER_CHROMIUM;
  const found = override
    ? fs.existsSync(override)
      ? override
      : undefined
    : candidates.find((f) => fs.existsSync(f));
  return {
    name: 'browser',
    status: found ? 'ok' : 'warn',
    required: false,
    summary: found
      ? `${found} (the model's browser test)`
      : override
        ? `CAPTIONER_CHROMIUM=${override} does not exist`
        : 'no Chromium: the model browser test is skipped (apt-get install chromium-headless-shell)',
    details: { path: found ?? null },
  };
}

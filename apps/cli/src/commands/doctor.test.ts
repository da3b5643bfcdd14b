import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import type { Check } from '../doctor/check';
import { runCli } from '../testing/cli';

/** A port nothing listens on (1 needs root to bind, so nothing does). */
const DEAD_REDIS_URL = 'redis://127.0.0.1:1';

interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

async function doctor(env: NodeJS.ProcessEnv): Promise<{ code: number | null; report: DoctorReport }> {
  const result = await runCli(['doctor', '--json'], env, 120_000);
  try {
    return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
}

function check(report: DoctorReport, name: string): Check {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check in ${JSON.stringify(report.checks.map((c) => c.name))}`);
  return found;
}

/** Whether @tensorflow/tfjs-node-gpu loads on this machine (it does not here: no libtensorflow). */
async function gpuBackendInstalled(): Promise<boolean> {
  const specifier = '@tensorflow/tfjs-node-gpu';
  return import(/* @vite-ignore */ specifier).then(
    () => true,
    () => false,
  );
}

describe('captioner doctor', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-doctor-'));
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: `file:${path.join(home, 'captioner.db')}`,
      REDIS_URL: testRedisUrl(),
      CAPTIONER_LOG_LEVEL: 'warn',
      CAPTIONER_WASM_THREADS: '1',
    };
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('passes with Redis, a database and a backend, and says which backend and why', async () => {
    const { code, report } = await doctor(env);
    expect(report.checks.map((c) => c.name)).toEqual([
      'config',
      'backend',
      'gpu',
      'wasm-threads',
      'onnxruntime',
      'redis',
      'database',
      'disk',
      'browser',
    ]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    const backend = check(report, 'backend');
    expect(backend.status).toBe('ok');
    // The ladder: every backend before the chosen one was tried and failed with a reason.
    const tried = backend.details!.tried as { backend: string; ok: boolean; error?: string }[];
    expect(tried.at(-1)).toEqual({ backend: backend.details!.chosen, ok: true });
    for (const attempt of tried.slice(0, -1)) expect(attempt.error).toMatch(/\S/);
    expect(check(report, 'redis')).toMatchObject({ status: 'ok', required: true });
    expect(check(report, 'database')).toMatchObject({ status: 'ok', details: { provider: 'sqlite' } });
    expect((check(report, 'disk').details!.freeBytes as number) > 0).toBe(true);
  });

  it('exits 1 when Redis is down, naming it', async () => {
    const { code, report } = await doctor({ ...env, REDIS_URL: DEAD_REDIS_URL });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const redis = check(report, 'redis');
    expect(redis).toMatchObject({ status: 'fail', required: true });
    expect(redis.summary).toContain('cannot reach Redis at redis://127.0.0.1:1');
    // The rest is still checked.
    expect(check(report, 'database').status).toBe('ok');
    expect(check(report, 'backend').status).toBe('ok');
    const text = await runCli(['doctor'], { ...env, REDIS_URL: DEAD_REDIS_URL }, 120_000);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^redis\s+fail\s+cannot reach Redis/m);
    expect(text.stdout).toContain('1 needed check(s) failed: redis');
  });

  it('exits 1 on a CAPTIONER_BACKEND that is not a backend, and checks the rest with the default', async () => {
    const { code, report } = await doctor({ ...env, CAPTIONER_BACKEND: 'tpu' });
    expect(code).toBe(1);
    expect(check(report, 'config')).toMatchObject({ status: 'fail', required: true });
    expect(check(report, 'config').summary).toContain('environment variable CAPTIONER_BACKEND');
    expect(check(report, 'backend')).toMatchObject({ status: 'ok', details: { forced: null } });
  });

  it('exits 1 when the forced backend cannot be loaded, with the reason', async () => {
    if (await gpuBackendInstalled()) return; // a GPU machine: the forced backend works there
    const { code, report } = await doctor({ ...env, CAPTIONER_BACKEND: 'tfjs-node-gpu' });
    expect(code).toBe(1);
    const backend = check(report, 'backend');
    expect(backend).toMatchObject({ status: 'fail', details: { chosen: null, forced: 'tfjs-node-gpu' } });
    expect(backend.details!.tried).toEqual([
      { backend: 'tfjs-node-gpu', ok: false, error: expect.stringContaining('@tensorflow/tfjs-node-gpu') },
    ]);
    // The GPU is needed by that configuration: without nvidia-smi it fails too.
    expect(check(report, 'gpu').required).toBe(true);
  });
});

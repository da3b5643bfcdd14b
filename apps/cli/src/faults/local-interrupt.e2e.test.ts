import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@captioner/db';
import type { Database } from '@captioner/db';
import { CLI_BIN, runCli, runCliJson, waitForExit } from '../testing/cli';
import { makeTempHome, waitUntil } from '../testing/faults';
import { expectFinishedRun, finalWeightsHash, synthDataset, writeFaultConfig, FAULT_IMAGES } from './harness';

/**
 * The local executor (no REDIS_URL, SQLite): Ctrl-C during `captioner run start` stops at a safe point
 * (training writes a checkpoint) and `captioner run resume` continues to the same weights as a run
 * that was never interrupted.
 */
describe('Ctrl-C on the local executor, then run resume', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let configFile: string;
  let database: Database;
  const children: Array<ReturnType<typeof spawn>> = [];

  beforeAll(async () => {
    home = await makeTempHome('local-faults');
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: `file:${path.join(home, 'captioner.db')}`,
      REDIS_URL: '',
      CAPTIONER_LOG_LEVEL: 'info',
    };
    configFile = await writeFaultConfig(home);
    await synthDataset(home, env, 'faults');
    database = await openDatabase(env.DATABASE_URL!);
  });
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await database?.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('SIGINT mid-training exits non-zero naming `captioner run resume`; resume finishes with the same weights', async () => {
    const db = database.client;
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'run', 'start', '--dataset', 'faults', '--config', configFile, '--name', 'interrupted'],
      {
        env: { ...process.env, ...env },
        stdio: 'pipe',
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', () => {});
    const run = await waitUntil('the run row', () => db.run.findFirst({ where: { name: 'interrupted' } }), {
      timeoutMs: 60_000,
      context: () => stderr,
    });
    await waitUntil(
      'a checkpoint',
      () => db.checkpoint.findFirst({ where: { runId: run.id, step: { gte: 4 } } }),
      {
        timeoutMs: 120_000,
        intervalMs: 50,
        context: () => stderr,
      },
    );
    child.kill('SIGINT');
    const code = await waitForExit(child, 60_000);
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(new RegExp(`captioner run resume ${run.id}`));
    // No process will finish it: it reads `stopped` everywhere until resumed.
    expect((await db.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe('stopped');
    const listed = await runCliJson<Array<{ id: string; status: string }>>(['run', 'list'], env);
    expect(listed.find((r) => r.id === run.id)?.status).toBe('stopped');
    expect((await runCliJson<{ status: string }>(['run', 'show', run.id], env)).status).toBe('stopped');
    const stepsBefore = await db.checkpoint.count({ where: { runId: run.id } });
    expect(stepsBefore).toBeGreaterThan(0);

    const resumed = await runCli(['run', 'resume', run.id], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectFinishedRun(db, run.id, FAULT_IMAGES / 8);
    expect((await db.stageRun.findFirstOrThrow({ where: { runId: run.id, stage: 'train' } })).attempts).toBe(
      2,
    );

    // The same config on the same data, never interrupted.
    const plain = await runCliJson<{ id: string; status: string }>(
      ['run', 'start', '--dataset', 'faults', '--config', configFile, '--json'],
      env,
    );
    expect(plain.status).toBe('succeeded');
    expect(await finalWeightsHash(db, run.id)).toEqual(await finalWeightsHash(db, plain.id));
  });
});

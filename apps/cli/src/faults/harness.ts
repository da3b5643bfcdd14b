import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { isValidShardFile, readShardFile } from '@captioner/core';
import type { DbClient } from '@captioner/db';
import { TINY_RUN_CONFIG, runCliJson, synthShapesDataset } from '../testing/cli';

/** The fault suite's data set: 64 images of 32 px in 8 shards, enough for four preprocess workers to share. */
export const FAULT_IMAGES = 64;

/**
 * One config for every run of the suite, so that every run (interrupted or not) must end with the same
 * weights. Checkpoints every 2 steps so a kill lands between two of them.
 */
export const FAULT_RUN_CONFIG = {
  ...TINY_RUN_CONFIG,
  shardSize: 8,
  training: {
    ...TINY_RUN_CONFIG.training,
    epochs: 2,
    batchSize: 16,
    checkpointEverySteps: 2,
    keepLastCheckpoints: 2,
    logEverySteps: 2,
  },
};

export async function writeFaultConfig(home: string): Promise<string> {
  const file = path.join(home, 'fault-run.json');
  await fs.writeFile(file, JSON.stringify(FAULT_RUN_CONFIG));
  return file;
}

export async function synthDataset(home: string, env: NodeJS.ProcessEnv, name: string): Promise<void> {
  await synthShapesDataset(home, env, name, FAULT_IMAGES);
}

/** `run start` without --wait: enqueues the flow and returns the run id. */
export async function startRun(
  env: NodeJS.ProcessEnv,
  dataset: string,
  configFile: string,
  extra: string[] = [],
): Promise<string> {
  const started = await runCliJson<{ id: string }>(
    ['run', 'start', '--dataset', dataset, '--config', configFile, ...extra],
    env,
  );
  return started.id;
}

export async function runStatus(db: DbClient, runId: string): Promise<string> {
  return (await db.run.findUniqueOrThrow({ where: { id: runId } })).status;
}

/** SHA-256 of the newest checkpoint's tensors (weights, feature norm and Adam state). */
export async function finalWeightsHash(
  db: DbClient,
  runId: string,
): Promise<{ step: number; sha256: string }> {
  const newest = await db.checkpoint.findFirstOrThrow({
    where: { runId, onDisk: true },
    orderBy: { step: 'desc' },
  });
  const { header } = await readShardFile(path.join(newest.path, 'tensors.shard'));
  return { step: newest.step, sha256: header.sha256 };
}

/**
 * The end state every finished run must have: the run and every stage succeeded, one Shard row per
 * (kind, index) whose file is valid and matches the recorded checksum, checkpoints recorded once per
 * step and present on disk, and the final evaluation scored.
 */
export async function expectFinishedRun(db: DbClient, runId: string, shards: number): Promise<void> {
  const run = await db.run.findUniqueOrThrow({
    where: { id: runId },
    include: { stages: true, shards: true, checkpoints: true, evaluations: true },
  });
  expect(run.status, run.error ?? '').toBe('succeeded');
  expect(run.stages).toHaveLength(2 * shards + 2);
  for (const stage of run.stages)
    expect(stage.status, `${stage.stage} ${stage.shard}: ${stage.error}`).toBe('succeeded');
  for (const kind of ['images', 'features']) {
    const rows = run.shards.filter((s) => s.kind === kind).sort((a, b) => a.index - b.index);
    expect(rows.map((s) => s.index)).toEqual(Array.from({ length: shards }, (_, i) => i));
    for (const row of rows) {
      expect(await isValidShardFile(row.path), row.path).toBe(true);
      expect((await readShardFile(row.path)).header.sha256).toBe(row.sha256);
    }
    // Exactly the recorded shards on disk (a SIGKILL may leave a `.tmp-PID-…` file, never a second shard).
    const dir = path.dirname(rows[0].path);
    const files = (await fs.readdir(dir)).filter((f) => !f.includes('.tmp-'));
    expect(files.sort()).toEqual(rows.map((r) => path.basename(r.path)).sort());
  }
  const steps = run.checkpoints.map((c) => c.step);
  expect(new Set(steps).size).toBe(steps.length);
  expect(run.checkpoints.filter((c) => c.isBest)).toHaveLength(1);
  for (const checkpoint of run.checkpoints.filter((c) => c.onDisk)) {
    expect(await isValidShardFile(path.join(checkpoint.path, 'tensors.shard')), checkpoint.path).toBe(true);
  }
  expect(run.evaluations.find((e) => e.isFinal)?.status).toBe('succeeded');
}

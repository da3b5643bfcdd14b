import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_RUN_CONFIG, runCli, runCliJson } from './testing/cli';

interface RunJson {
  status: string;
  evaluations: Array<{ status: string; imageCount: number; grounding: { images: number } | null }>;
}

describe('a run on two data sets combined (local executor, SQLite)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-combine-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
    await fs.writeFile(path.join(home, 'run.json'), JSON.stringify(TINY_RUN_CONFIG));
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('combines them with their splits apart, trains on both and tests on both test splits', async () => {
    for (const [name, seed, images] of [
      ['one', 1, 40],
      ['two', 2, 30],
    ] as const)
      await runCliJson(
        [
          'dataset',
          'synth',
          '--out',
          path.join(home, name),
          '--images',
          String(images),
          '--seed',
          String(seed),
          '--image-size',
          '32',
          '--name',
          name,
        ],
        env,
      );
    const combined = await runCliJson<{ items: number; splits: Record<string, number> }>(
      ['dataset', 'combine', 'both', 'one', 'two', '--json'],
      env,
    );
    const one = await runCliJson<{ splits: Record<string, number> }>(
      ['dataset', 'show', 'one', '--json'],
      env,
    );
    const two = await runCliJson<{ splits: Record<string, number> }>(
      ['dataset', 'show', 'two', '--json'],
      env,
    );
    expect(combined.items).toBe(70);
    for (const split of ['train', 'val', 'test'])
      expect(combined.splits[split], split).toBe((one.splits[split] ?? 0) + (two.splits[split] ?? 0));

    const started = await runCliJson<{ id: string; status: string }>(
      ['run', 'start', '--dataset', 'both', '--config', path.join(home, 'run.json')],
      env,
    );
    expect(started.status).toBe('succeeded');
    const run = await runCliJson<RunJson>(['run', 'show', started.id], env);
    const testImages = one.splits.test + two.splits.test;
    expect(run.evaluations[0]).toMatchObject({ status: 'succeeded', imageCount: testImages });
    // The scenes came along: every test image of both sources was checked for grounding.
    expect(run.evaluations[0].grounding?.images).toBe(testImages);

    // --train-only keeps a source's val and test out; a name that is not combined is refused by name.
    const trainOnly = await runCliJson<{ splits: Record<string, number> }>(
      ['dataset', 'combine', 'train-two', 'one', 'two', '--train-only', 'two', '--json'],
      env,
    );
    expect(trainOnly.splits.test).toBe(one.splits.test);
    expect(trainOnly.splits.train).toBe(combined.splits.train);
    const refused = await runCli(['dataset', 'combine', 'x', 'one', 'two', '--train-only', 'three'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--train-only: 'three' is not one of the data sets combined/);
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_RUN_CONFIG, runCli, runCliJson, synthShapesDataset } from './testing/cli';

interface RunJson {
  id: string;
  status: string;
  backend: string;
  stages: Array<{ stage: string; shard: number; status: string; attempts: number; progress: number }>;
  checkpoints: Array<{ step: number; isBest: boolean; path: string }>;
  metrics: Array<{ name: string; step: number; value: number }>;
  evaluations: Array<{
    id: string;
    status: string;
    imageCount: number;
    scores: Record<string, number> | null;
    grounding: Record<string, number | null> | null;
    diversity: Record<string, number | null> | null;
  }>;
}

describe('a tiny run through the local executor (SQLite)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-local-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
    await fs.writeFile(path.join(home, 'run.json'), JSON.stringify(TINY_RUN_CONFIG));
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('synthesizes, trains, evaluates and records every stage', async () => {
    const synth = await synthShapesDataset(home, env);
    expect(synth.images).toBe(60);

    const started = await runCliJson<{ id: string; status: string; shards: number }>(
      ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'run.json')],
      env,
    );
    expect(started.status).toBe('succeeded');
    expect(started.shards).toBe(3);

    const run = await runCliJson<RunJson>(['run', 'show', started.id], env);
    expect(run.status).toBe('succeeded');
    expect(run.backend).toBe('wasm');
    const byStage = (stage: string) => run.stages.filter((s) => s.stage === stage);
    expect(byStage('preprocess').map((s) => s.shard)).toEqual([0, 1, 2]);
    expect(byStage('extract').map((s) => s.shard)).toEqual([0, 1, 2]);
    for (const stage of run.stages)
      expect(stage).toMatchObject({ status: 'succeeded', attempts: 1, progress: 1 });
    expect(byStage('train')).toHaveLength(1);
    expect(byStage('evaluate')).toHaveLength(1);

    expect(run.checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(run.checkpoints.filter((c) => c.isBest)).toHaveLength(1);
    const losses = run.metrics.filter((m) => m.name === 'train/loss');
    expect(losses.length).toBeGreaterThan(1);

    // The test split is the last 10% of the 60 images.
    expect(run.evaluations).toHaveLength(1);
    expect(run.evaluations[0]).toMatchObject({ status: 'succeeded', imageCount: 6 });
    expect(run.evaluations[0].scores?.CIDEr).toBeGreaterThanOrEqual(0);
    // A shapes data set: the captions were checked against the scenes of the 6 test images.
    expect(run.evaluations[0].grounding?.images).toBe(6);
    // Every evaluation measures the diversity of its captions, novelty against the training captions.
    expect(run.evaluations[0].diversity).toMatchObject({ captions: 6 });
    expect(run.evaluations[0].diversity?.novelRate).toBeGreaterThanOrEqual(0);
    expect(Object.values(run.evaluations[0].scores ?? {}).every((v) => typeof v === 'number')).toBe(true);

    const list = await runCliJson<Array<{ id: string; status: string }>>(['run', 'list'], env);
    expect(list.map((r) => r.id)).toContain(started.id);

    // An evaluation on demand, in process, of the last checkpoint on the val split.
    const evaluation = await runCliJson<{
      id: string;
      status: string;
      split: string;
      imageCount: number;
      best: unknown[];
    }>(['eval', started.id, '--checkpoint', 'last', '--split', 'val', '--beam', '1'], env);
    expect(evaluation).toMatchObject({ status: 'succeeded', split: 'val', imageCount: 6 });
    expect(evaluation.best.length).toBeGreaterThan(0);
    const shown = await runCli(['eval', 'show', evaluation.id], env);
    expect(shown.stdout).toMatch(/decoding: beam 1, length penalty 0, no repeated --grams/);
    expect(shown.stdout).toMatch(/diversity/);
    expect(shown.stdout).toMatch(/distinct-2/);

    // The decoding controls at their defaults reproduce the final evaluation's scores exactly (beam 2
    // as in TINY_RUN_CONFIG); banning repeated words gives captions without a repeated word.
    const same = await runCliJson<{ scores: Record<string, number> }>(
      ['eval', started.id, '--beam', '2', '--length-penalty', '0', '--ban-repeated-ngram', '0'],
      env,
    );
    expect(same.scores).toEqual(run.evaluations[0].scores);
    const banned = await runCliJson<{ id: string; settings: Record<string, unknown> }>(
      ['eval', started.id, '--beam', '2', '--ban-repeated-ngram', '1', '--max-length', '6'],
      env,
    );
    expect(banned.settings).toMatchObject({
      beamSize: 2,
      noRepeatNgramSize: 1,
      maxLength: 6,
      lengthPenalty: 0,
    });
    const bannedSamples = await runCliJson<{ best: Array<{ candidate: string }> }>(
      ['eval', 'show', banned.id, '--samples', '6'],
      env,
    );
    for (const { candidate } of bannedSamples.best) {
      const words = candidate.split(' ');
      expect(new Set(words).size).toBe(words.length);
      expect(words.length).toBeLessThanOrEqual(6);
    }

    // A succeeded run is finished history: resuming it is refused, and nothing is recorded twice.
    const resumed = await runCli(['run', 'resume', started.id], env);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr.trim()).toMatch(/is succeeded: it cannot become queued/);
    const again = await runCliJson<RunJson>(['run', 'show', started.id], env);
    expect(again.stages.every((s) => s.attempts === 1)).toBe(true);
    expect(again.checkpoints.length).toBe(run.checkpoints.length);

    // Captioning an image file with the run's encoder and best checkpoint.
    const captions = await runCliJson<Array<{ image: string; caption: string }>>(
      ['caption', path.join(home, 'shapes', 'images', 'shapes-000001.png'), '--run', started.id],
      env,
    );
    expect(captions[0].caption.split(' ').length).toBeGreaterThan(0);

    // The exported bundle captions the image exactly as the run does; a damaged bundle is refused.
    const bundle = path.join(home, 'bundle');
    await runCliJson(['export', started.id, '--out', bundle], env);
    const fromBundle = await runCliJson<Array<{ caption: string }>>(
      ['caption', path.join(home, 'shapes', 'images', 'shapes-000001.png'), '--model', bundle],
      env,
    );
    expect(fromBundle[0].caption).toBe(captions[0].caption);
    const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'bundle.json'), 'utf8')) as {
      files: Record<string, string>;
    };
    const weights = Object.keys(manifest.files).find((f) => f.endsWith('.bin'))!;
    const bytes = await fs.readFile(path.join(bundle, weights));
    bytes[0] ^= 0xff;
    await fs.writeFile(path.join(bundle, weights), bytes);
    const corrupt = await runCli(
      ['caption', path.join(home, 'shapes', 'images', 'shapes-000001.png'), '--model', bundle],
      env,
    );
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/checksum mismatch/);
  });

  it('gives one-line errors and exit codes for bad input', async () => {
    const missing = await runCli(['run', 'start', '--dataset', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('captioner: error: data set not found: nope');

    const unknown = await runCli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);

    const flag = await runCli(['run', 'list', '--bogus'], env);
    expect(flag.code).toBe(2);

    const redis = await runCli(['run', 'start', '--dataset', 'tiny'], {
      ...env,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(redis.stderr.trim().split('\n')).toHaveLength(1);

    const database = await runCli(['run', 'list'], {
      ...env,
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/x',
    });
    expect(database.code).toBe(1);
    expect(database.stderr).toMatch(/cannot open database postgresql:\/\/postgres@127\.0\.0\.1:1\/x/);

    const badConfig = await runCli(['run', 'start', '--dataset', 'tiny', '--set', 'training.epochs=-1'], env);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/run config: training\.epochs/);
  });

  it('fails a run whose images are gone at preprocessing, and prints why', async () => {
    await synthShapesDataset(home, env, 'gone', 24);
    await fs.rm(path.join(home, 'gone', 'images'), { recursive: true });
    const result = await runCli(
      ['run', 'start', '--dataset', 'gone', '--config', path.join(home, 'run.json')],
      env,
    );
    // In process, the stage's error is the command's (with REDIS_URL, `--wait` prints the run's error).
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /captioner: error: all 24 images of shard .* are missing, first .*gone\/images\/shapes-000000\.png/,
    );
  });
});

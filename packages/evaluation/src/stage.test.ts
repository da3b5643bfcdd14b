import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, artifactPaths, createLogger, loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { createRun, openDatabase, recordCheckpoint, recordShard, upsertDataset } from '@captioner/db';
import type { Database } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import {
  buildVocabulary,
  groundCaptions,
  saveVocabulary,
  writeFeatureShard,
  writeManifest,
} from '@captioner/dataset';
import type { DatasetManifest, Scene } from '@captioner/dataset';
import { captionDiversity, scoreCaptions } from '@captioner/metrics';
import {
  computeFeatureNorm,
  createDecoderParams,
  decoderToArrays,
  initBackend,
  modelConfigSchema,
  writeCheckpointDir,
} from '@captioner/model';
import { evaluateStage } from './stage';

const POOLED = 8;
const GRID_POSITIONS = 4;
const GRID_CHANNELS = 8;
const TEST_IMAGES = 6;

describe('evaluateStage (real SQLite, a tiny seeded decoder)', () => {
  let home: string;
  let config: CaptionerConfig;
  let database: Database;
  let runId: string;
  let manifest: DatasetManifest;
  let manifestPath: string;

  const ctx = (): StageContext => ({
    config,
    db: database.client,
    logger: createLogger('test', 'silent'),
    reportProgress: async () => {},
    signal: new AbortController().signal,
    workerId: 'test',
    attempt: 1,
  });

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-evaluation-'));
    config = loadConfig({ CAPTIONER_HOME: home, CAPTIONER_BACKEND: 'cpu' });
    database = await openDatabase(config.databaseUrl);
    const db = database.client;
    const colors = ['red', 'green', 'blue'] as const;
    const kinds = ['circle', 'square'] as const;
    manifest = {
      formatVersion: 1,
      name: 'tiny',
      source: { format: 'manifest', path: '.' },
      imagesRoot: home,
      items: Array.from({ length: 10 }, (_, i) => ({
        id: `img-${i}`,
        file: `img-${i}.png`,
        split: i < 4 ? 'train' : 'test',
        captions: [`a ${colors[i % 3]} ${kinds[i % 2]}`, `one ${colors[i % 3]} shape`],
        // A shapes-like scene per image, so that the stage checks the captions against it.
        scene: { objects: [{ kind: kinds[i % 2], color: colors[i % 3], size: 'small', row: 1, col: 1 }] },
      })),
    };
    manifestPath = path.join(home, 'manifest.json');
    await writeManifest(manifestPath, manifest);
    const dataset = await upsertDataset(db, {
      name: 'tiny',
      format: 'manifest',
      sourcePath: home,
      manifestPath,
      itemCount: 10,
      captionCount: 20,
      splits: { train: 4, test: TEST_IMAGES },
      report: { problems: [] },
      problemCount: 0,
    });
    runId = (await createRun(db, { datasetId: dataset.id, config: {}, executor: 'local' })).id;
    const paths = artifactPaths(home);
    const vocabulary = buildVocabulary(manifest, { minCount: 1 });
    await saveVocabulary(paths.vocabulary(runId), vocabulary);

    // One feature shard with every image (deterministic values), recorded as the run's.
    const n = manifest.items.length;
    const pooled = Float32Array.from({ length: n * POOLED }, (_, i) => Math.sin(i));
    const grid = Float32Array.from({ length: n * GRID_POSITIONS * GRID_CHANNELS }, (_, i) => Math.cos(i));
    const featureFile = paths.featureShard(runId, 0);
    await fs.mkdir(path.dirname(featureFile), { recursive: true });
    const header = await writeFeatureShard(featureFile, {
      ids: manifest.items.map((i) => i.id),
      pooled,
      grid,
      pooledSize: POOLED,
      gridPositions: GRID_POSITIONS,
      gridChannels: GRID_CHANNELS,
      meta: {},
    });
    await recordShard(db, {
      runId,
      kind: 'features',
      index: 0,
      path: featureFile,
      itemCount: n,
      failed: [],
      sha256: header.sha256,
      bytes: (await fs.stat(featureFile)).size,
    });

    // A checkpoint of a small attention decoder with seeded initial weights.
    await initBackend('cpu');
    const modelConfig = modelConfigSchema.parse({
      decoder: { embeddingSize: 8, hiddenSize: 16, attentionSize: 8, maxLength: 6 },
    });
    const featureShape = { pooledSize: POOLED, gridPositions: GRID_POSITIONS, gridChannels: GRID_CHANNELS };
    const spec = { decoder: modelConfig.decoder, featureShape, vocabSize: vocabulary.size };
    const params = createDecoderParams(spec, 7);
    const norm = computeFeatureNorm(featureShape, pooled, grid);
    const checkpointDir = paths.checkpointDir(runId, 10);
    await writeCheckpointDir(
      checkpointDir,
      { modelConfig, featureShape, vocabSize: vocabulary.size, step: 10, epoch: 1, training: {} },
      decoderToArrays(params, norm),
    );
    for (const v of Object.values(params)) v.dispose();
    await recordCheckpoint(db, {
      runId,
      step: 10,
      epoch: 1,
      kind: 'epoch',
      path: checkpointDir,
      isBest: true,
    });
  });
  afterAll(async () => {
    await database.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('stores the corpus scores and one sample per test image, the scores being those of the samples', async () => {
    await evaluateStage(
      { runId, evaluationId: 'eval-ok', checkpoint: 'best', split: 'test', beamSize: 2, maxImages: 0 },
      ctx(),
    );
    const evaluation = await database.client.evaluation.findUniqueOrThrow({
      where: { id: 'eval-ok' },
      include: { samples: { orderBy: { imageId: 'asc' } }, checkpoint: true },
    });
    expect(evaluation).toMatchObject({ status: 'succeeded', split: 'test', imageCount: TEST_IMAGES });
    expect(evaluation.checkpoint?.step).toBe(10);
    const testItems = manifest.items.filter((i) => i.split === 'test');
    expect(evaluation.samples.map((s) => s.imageId)).toEqual(testItems.map((i) => i.id));
    for (const [i, sample] of evaluation.samples.entries())
      expect(sample.references).toEqual(testItems[i].captions);

    // Scoring the stored captions against the stored references gives the stored scores.
    const refs = Object.fromEntries(evaluation.samples.map((s) => [s.imageId, s.references as string[]]));
    const cands = Object.fromEntries(evaluation.samples.map((s) => [s.imageId, s.candidate]));
    const expected = scoreCaptions({ refs, cands });
    const stored = evaluation.scores as Record<string, number>;
    for (const metric of ['Bleu_4', 'CIDEr', 'ROUGE_L'] as const)
      expect(stored[metric]).toBeCloseTo(expected.corpus[metric], 10);
    for (const sample of evaluation.samples)
      expect(sample.cider).toBeCloseTo(expected.perImage[sample.imageId].CIDEr, 10);

    // The manifest records scenes: the grounding of the stored captions is stored under `grounding`.
    const scenes = new Map<string, Scene>(testItems.map((i) => [i.id, i.scene!]));
    expect((evaluation.scores as { grounding?: unknown }).grounding).toEqual(groundCaptions(cands, scenes));
    expect(groundCaptions(cands, scenes).images).toBe(TEST_IMAGES);

    // Diversity of the stored captions, novelty measured against the training split's captions.
    const training = manifest.items.filter((i) => i.split === 'train').flatMap((i) => i.captions);
    const diversity = captionDiversity(
      evaluation.samples.map((s) => s.candidate),
      training,
    );
    // Compared to 12 digits: SQLite's JSON may round the last digit of a double.
    const storedDiversity = (evaluation.scores as { diversity: Record<string, number> }).diversity;
    expect(Object.keys(storedDiversity).sort()).toEqual(Object.keys(diversity).sort());
    for (const [key, value] of Object.entries(diversity))
      expect(storedDiversity[key]).toBeCloseTo(value!, 12);
  });

  it('stores no grounding for a data set whose manifest has no scenes', async () => {
    await writeManifest(manifestPath, {
      ...manifest,
      items: manifest.items.map(({ scene: _scene, ...item }) => item),
    });
    try {
      await evaluateStage(
        { runId, evaluationId: 'eval-plain', checkpoint: 'best', split: 'test', beamSize: 1, maxImages: 0 },
        ctx(),
      );
    } finally {
      await writeManifest(manifestPath, manifest);
    }
    const evaluation = await database.client.evaluation.findUniqueOrThrow({ where: { id: 'eval-plain' } });
    expect(evaluation.status).toBe('succeeded');
    expect(Object.keys(evaluation.scores as object).sort()).toEqual(
      ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'CIDEr', 'ROUGE_L', 'diversity'].sort(),
    );
  });

  // The handler throws a permanent error; recording the failure is the stage runner's job (it knows
  // whether the job will be retried), tested in packages/pipeline (stage-runner, operations).
  it('throws a permanent error naming the selector when no checkpoint matches', async () => {
    const run = evaluateStage(
      {
        runId,
        evaluationId: 'eval-none',
        checkpoint: 'ckpt-missing',
        split: 'test',
        beamSize: 1,
        maxImages: 0,
      },
      ctx(),
    );
    await expect(run).rejects.toBeInstanceOf(NotFoundError);
    await expect(run).rejects.toThrow(/no checkpoint matches "ckpt-missing"/);
    await expect(run).rejects.toMatchObject({ permanent: true });
    const evaluation = await database.client.evaluation.findUniqueOrThrow({ where: { id: 'eval-none' } });
    expect(evaluation.status).toBe('running');
    expect(evaluation.scores).toBeNull();
  });

  it('throws a permanent error naming the path when the checkpoint recorded is gone from disk', async () => {
    const recorded = await database.client.checkpoint.findFirstOrThrow({ where: { runId } });
    await fs.rename(recorded.path, `${recorded.path}.moved`);
    try {
      const run = evaluateStage(
        { runId, evaluationId: 'eval-gone', checkpoint: 'best', split: 'test', beamSize: 1, maxImages: 0 },
        ctx(),
      );
      await expect(run).rejects.toBeInstanceOf(NotFoundError);
      await expect(run).rejects.toThrow(recorded.path);
      const evaluation = await database.client.evaluation.findUniqueOrThrow({ where: { id: 'eval-gone' } });
      expect(evaluation.status).toBe('running');
      expect(await database.client.evaluationSample.count({ where: { evaluationId: 'eval-gone' } })).toBe(0);
    } finally {
      await fs.rename(`${recorded.path}.moved`, recorded.path);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptArtifactError, createLogger, loadConfig } from '@captioner/core';
import {
  createRun,
  createStageRuns,
  createScratchDatabase,
  getRun,
  getStage,
  openDatabase,
  testDatasetRecord,
  upsertDataset,
  WHOLE_RUN,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { decoderFromArrays, modelConfigSchema } from '@captioner/model';
import type { StageHandlers } from '../handlers';
import { runPipelineLocally } from './local';

const unused = async () => {
  throw new Error('this stage must not run');
};

describe('the local executor and the stage runner on errors that cannot succeed', () => {
  let scratch: ScratchDatabase;
  let db: Database;
  let datasetId: string;
  const config = { ...loadConfig({}), dbRetryMs: 1000 };
  const logger = createLogger('test', 'silent');

  beforeAll(async () => {
    scratch = await createScratchDatabase('sqlite');
    db = await openDatabase(scratch.url);
    const dataset = await upsertDataset(db.client, testDatasetRecord('permanent-errors'));
    datasetId = dataset.id;
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  /** Runs a plan without shards whose training stage is `train`, with four tries per stage. */
  async function runTraining(train: StageHandlers['train']) {
    const run = await createRun(db.client, { datasetId, config: {}, executor: 'local' });
    await createStageRuns(db.client, [
      { runId: run.id, stage: 'train', shard: WHOLE_RUN },
      { runId: run.id, stage: 'evaluate', shard: WHOLE_RUN },
    ]);
    const handlers: StageHandlers = { preprocess: unused, extract: unused, train, evaluate: async () => {} };
    const outcome = runPipelineLocally(
      {
        runId: run.id,
        shards: 0,
        evaluation: {
          runId: run.id,
          evaluationId: 'none',
          checkpoint: 'best',
          split: 'test',
          beamSize: 1,
          lengthPenalty: 0,
          noRepeatNgramSize: 0,
          maxImages: 0,
          trackStage: true,
        },
      },
      {
        config,
        db: db.client,
        logger,
        handlers,
        workerId: 'test',
        signal: new AbortController().signal,
        maxAttempts: 4,
      },
    );
    return { runId: run.id, outcome };
  }

  it('tries a checkpoint with a missing decoder weight once, and fails the stage and the run', async () => {
    const { decoder } = modelConfigSchema.parse({});
    const spec = {
      decoder,
      featureShape: { pooledSize: 4, gridPositions: 4, gridChannels: 4 },
      vocabSize: 8,
    };
    let tries = 0;
    const { runId, outcome } = await runTraining(async () => {
      tries += 1;
      // The library's own check: the checkpoint holds no decoder weights at all.
      decoderFromArrays(spec, {}, '/checkpoints/step-10');
    });
    await expect(outcome).rejects.toThrow(CorruptArtifactError);
    expect(tries).toBe(1);
    const stage = await getStage(db.client, { runId, stage: 'train', shard: WHOLE_RUN });
    expect(stage?.status).toBe('failed');
    expect(stage?.attempts).toBe(1);
    expect(stage?.error).toMatch(
      /^train: \/checkpoints\/step-10: decoder weight \S+: expected \d+ values, found none$/,
    );
    expect((await getRun(db.client, runId)).status).toBe('failed');
  });

  it('tries an unknown error again (the contrast: only typed permanent errors stop at once)', async () => {
    let tries = 0;
    const { runId, outcome } = await runTraining(async () => {
      tries += 1;
      if (tries === 1) throw new Error('socket hang up');
    });
    await outcome;
    expect(tries).toBe(2);
    expect((await getStage(db.client, { runId, stage: 'train', shard: WHOLE_RUN }))?.status).toBe(
      'succeeded',
    );
  });
});

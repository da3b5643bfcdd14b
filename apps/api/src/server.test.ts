import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import { Queue } from 'bullmq';
import { loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import {
  completeEvaluation,
  createEvaluation,
  createRun,
  createScratchDatabase,
  createSweep,
  getDataset,
  markRunPruned,
  openDatabase,
  recordCheckpoint,
  setEvaluationStatus,
  setRunStatus,
  upsertDataset,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { synthesizeShapes } from '@captioner/dataset';
import { QUEUE_NAMES, createProducerConnection, stageJobId } from '@captioner/pipeline';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { NO_REDIS_MESSAGE } from './producer';
import { AUTH_REQUIRED_MESSAGE } from './auth';

const REDIS_URL = testRedisUrl();

// Real things: a scratch SQLite database, a synthesized data set on disk, the test Redis under a
// prefix of its own (so nothing here meets another test's or a real cluster's jobs).
let scratch: ScratchDatabase;
let database: Database;
let home: string;
let config: CaptionerConfig;
let server: FastifyInstance;
let noRedisServer: FastifyInstance;

async function jobExists(
  runId: string,
  stage: 'preprocess' | 'evaluate',
  shard: number | string,
): Promise<boolean> {
  const connection = await createProducerConnection(REDIS_URL);
  const queue = new Queue(QUEUE_NAMES[stage], { connection, prefix: config.queuePrefix });
  try {
    return Boolean(await queue.getJob(stageJobId(runId, stage, shard)));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

beforeAll(async () => {
  scratch = await createScratchDatabase('sqlite');
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-api-'));
  const env = { CAPTIONER_HOME: home, DATABASE_URL: scratch.url, CAPTIONER_LOG_LEVEL: 'silent' };
  config = loadConfig({
    ...env,
    REDIS_URL,
    CAPTIONER_QUEUE_PREFIX: `test-api-${randomBytes(4).toString('hex')}`,
  });
  database = await openDatabase(config.databaseUrl);
  const { manifestFile, manifest } = await synthesizeShapes({
    outDir: path.join(home, 'shapes'),
    images: 12,
    seed: 3,
    imageSize: 32,
  });
  await upsertDataset(database.client, {
    name: 'shapes',
    format: 'shapes',
    sourcePath: path.join(home, 'shapes'),
    manifestPath: manifestFile,
    itemCount: manifest.items.length,
    captionCount: manifest.items.reduce((n, item) => n + item.captions.length, 0),
    splits: { train: 10, val: 1, test: 1 },
    report: { problems: [] },
    problemCount: 0,
  });
  server = buildServer({ config, db: database.client });
  noRedisServer = buildServer({ config: loadConfig(env), db: database.client });
});

afterAll(async () => {
  await server?.close();
  await noRedisServer?.close();
  await database?.close();
  await scratch?.drop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('API', () => {
  let runId: string;

  it('reports health of the database and Redis', async () => {
    const res = await server.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ database: 'ok', redis: 'ok' });
    const local = await noRedisServer.inject({ method: 'GET', url: '/health' });
    expect(local.json()).toEqual({ database: 'ok', redis: 'disabled' });
  });

  it('lists and shows data sets', async () => {
    const list = await server.inject({ method: 'GET', url: '/api/datasets' });
    expect(list.json()).toMatchObject([{ name: 'shapes', itemCount: 12, splits: { train: 10 } }]);
    const one = await server.inject({ method: 'GET', url: '/api/datasets/shapes' });
    expect(one.json()).toMatchObject({ name: 'shapes', report: { problems: [] } });
    const missing = await server.inject({ method: 'GET', url: '/api/datasets/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'data set not found: nope' });
  });

  it('creates a run with its stage rows and enqueues its flow on Redis', async () => {
    const res = await server.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { dataset: 'shapes', name: '<script>alert(1)</script>', config: { shardSize: 6 } },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'queued', shards: 2 });
    runId = body.id;
    const stages = await database.client.stageRun.findMany({ where: { runId } });
    expect(stages.map((s) => `${s.stage}${s.shard}`).sort()).toEqual(
      ['evaluate-1', 'extract0', 'extract1', 'preprocess0', 'preprocess1', 'train-1'].sort(),
    );
    expect(await jobExists(runId, 'evaluate', 'final')).toBe(true);
    expect(await jobExists(runId, 'preprocess', 0)).toBe(true);
  });

  it('returns the run in the list and in detail, with JSON columns parsed', async () => {
    const list = await server.inject({ method: 'GET', url: '/api/runs?limit=10' });
    expect(list.statusCode).toBe(200);
    expect(list.json()[0]).toMatchObject({
      id: runId,
      dataset: 'shapes',
      status: 'queued',
      stages: { preprocess: { done: 0, total: 2, status: 'pending' } },
      finalScores: null,
    });
    const one = await server.inject({ method: 'GET', url: `/api/runs/${runId}` });
    const run = one.json();
    expect(run).toMatchObject({ id: runId, executor: 'bullmq', config: { shardSize: 6 } });
    expect(run.stages).toHaveLength(6);
    expect(run.evaluations).toMatchObject([
      { split: 'test', status: 'queued', settings: expect.any(Object) },
    ]);
  });

  it('shows the stage queues with the run waiting and no workers, in JSON and on the dashboard', async () => {
    const res = await server.inject({ method: 'GET', url: '/api/queues' });
    expect(res.statusCode).toBe(200);
    const queues = res.json() as Array<{
      stage: string;
      workers: number;
      jobs: Record<string, number>;
      stale: unknown[];
    }>;
    expect(queues.map((q) => q.stage)).toEqual(['preprocess', 'extract', 'train', 'evaluate']);
    expect(queues[0].jobs).toMatchObject({ waiting: 2, active: 0 });
    // Later stages wait for their children (the flow's earlier stages).
    expect(queues.slice(1).map((q) => q.jobs['waiting-children'])).toEqual([2, 1, 1]);
    expect(queues.every((q) => q.workers === 0)).toBe(true);

    const page = await server.inject({ method: 'GET', url: '/' });
    expect(page.body).toMatch(/<h2>Queues<\/h2>/);
    // Waiting, waiting for children, active: jobs blocked by earlier stages are not "waiting".
    expect(page.body).toMatch(/<td>preprocess<\/td><td>2<\/td><td>0<\/td><td>0<\/td>/);
    expect(page.body).toMatch(/<td>extract<\/td><td>0<\/td><td>2<\/td><td>0<\/td>/);
    expect(queues.every((q) => Array.isArray(q.stale) && q.stale.length === 0)).toBe(true);
    const local = await noRedisServer.inject({ method: 'GET', url: '/api/queues' });
    expect(local.statusCode).toBe(503);
    expect((await noRedisServer.inject({ method: 'GET', url: '/' })).body).not.toMatch(/Queues/);
  });

  it('answers 404, 400 naming the field, and 503 without REDIS_URL', async () => {
    const missing = await server.inject({ method: 'GET', url: '/api/runs/run_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'run not found: run_nope' });

    const bad = await server.inject({ method: 'POST', url: '/api/runs', payload: { dataset: 42 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^body\.dataset: /);
    const unknown = await server.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { dataset: 'shapes', epochs: 3 },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatch(/epochs/);
    const badConfig = await server.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { dataset: 'shapes', config: { training: { epochs: -1 } } },
    });
    expect(badConfig.statusCode).toBe(400);
    // Unknown keys in the run config are refused by name at every level, and nothing is created.
    const runsBeforeUnknownKeys = await database.client.run.count();
    for (const [runConfig, error] of [
      [{ training: { epocs: 2 } }, 'run config: training.epocs: unknown key'],
      [{ trainig: { epochs: 2 } }, 'run config: trainig: unknown key'],
      [{ model: { decoder: { cel: 'gru' } } }, 'run config: model.decoder.cel: unknown key'],
    ] as const) {
      const refused = await server.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { dataset: 'shapes', config: runConfig },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({ error });
    }
    expect(await database.client.run.count()).toBe(runsBeforeUnknownKeys);
    const badLimit = await server.inject({ method: 'GET', url: '/api/runs?limit=zero' });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().error).toMatch(/^query\.limit: /);

    const runsBefore = await database.client.run.count();
    const noRedis = await noRedisServer.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { dataset: 'shapes' },
    });
    expect(noRedis.statusCode).toBe(503);
    expect(noRedis.json()).toEqual({ error: NO_REDIS_MESSAGE });
    expect(await database.client.run.count()).toBe(runsBefore);
  });

  it('refuses an evaluation of a checkpoint that does not exist (404), enqueuing nothing', async () => {
    const evaluationsBefore = await database.client.evaluation.count();
    const res = await server.inject({
      method: 'POST',
      url: '/api/evaluations',
      payload: { runId, checkpoint: 'ckpt-typo' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/ckpt-typo/);
    expect(await database.client.evaluation.count()).toBe(evaluationsBefore);
  });

  it('enqueues an evaluation and shows it', async () => {
    // A checkpoint on record, as training would leave it (the file itself is only read by the worker).
    await recordCheckpoint(database.client, {
      runId,
      step: 4,
      epoch: 1,
      kind: 'epoch',
      path: path.join(home, 'ckpt-4'),
      isBest: true,
    });
    const res = await server.inject({
      method: 'POST',
      url: '/api/evaluations',
      payload: { runId, checkpoint: 'last', split: 'val', beamSize: 2, noRepeatNgramSize: 2 },
    });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    expect(await jobExists(runId, 'evaluate', id)).toBe(true);
    const shown = await server.inject({ method: 'GET', url: `/api/evaluations/${id}` });
    expect(shown.json()).toMatchObject({
      id,
      runId,
      split: 'val',
      status: 'queued',
      settings: { checkpoint: 'last', beamSize: 2, lengthPenalty: 0, noRepeatNgramSize: 2 },
      scores: null,
      grounding: null,
      diversity: null,
      best: [],
      worst: [],
    });
    const bad = await server.inject({
      method: 'POST',
      url: '/api/evaluations',
      payload: { runId, beamSize: 0 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^body\.beamSize: /);
    const unknownRun = await server.inject({
      method: 'POST',
      url: '/api/evaluations',
      payload: { runId: 'run_nope' },
    });
    expect(unknownRun.statusCode).toBe(404);
  });

  it('renders the dashboard with every value escaped', async () => {
    const res = await server.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain(`href="/runs/${runId}"`);
    expect(res.body).toContain('<meta http-equiv="refresh" content="5">');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>');

    const detail = await server.inject({ method: 'GET', url: `/runs/${runId}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('<progress value="0" max="1">');
    expect(detail.body).toContain('<p class="augment">augmentation: off</p>');
    expect(detail.body).toContain('&lt;script&gt;');
    expect(detail.body).not.toContain('<script>');
    const missing = await server.inject({ method: 'GET', url: '/runs/run_nope' });
    expect(missing.statusCode).toBe(404);
  });

  it('cancels a run: marks it cancelled and removes its queued jobs', async () => {
    const res = await server.inject({ method: 'POST', url: `/api/runs/${runId}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: runId, status: 'cancelled' });
    expect(res.json().removedJobs).toBeGreaterThanOrEqual(6);
    const run = await database.client.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('cancelled');
    const stages = await database.client.stageRun.findMany({ where: { runId } });
    expect(stages.every((s) => s.status === 'cancelled' && s.error === 'cancelled by user')).toBe(true);
    expect(await jobExists(runId, 'evaluate', 'final')).toBe(false);
    expect(await jobExists(runId, 'preprocess', 0)).toBe(false);

    // A finished run is not cancelled again: its history (reason, finish time) stays as it was.
    const again = await server.inject({ method: 'POST', url: `/api/runs/${runId}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/is cancelled: it cannot become cancelled/);
    const after = await database.client.run.findUniqueOrThrow({ where: { id: runId } });
    expect(after.finishedAt).toEqual(run.finishedAt);
  });

  it('resumes a cancelled run: the flow is enqueued again', async () => {
    const res = await server.inject({ method: 'POST', url: `/api/runs/${runId}/resume` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: runId, status: 'queued' });
    expect(await jobExists(runId, 'evaluate', 'final')).toBe(true);
    const noRedis = await noRedisServer.inject({ method: 'POST', url: `/api/runs/${runId}/resume` });
    expect(noRedis.statusCode).toBe(503);
    // Leave nothing behind on the shared Redis.
    await server.inject({ method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it('with CAPTIONER_API_TOKEN, refuses writes without the bearer token and keeps reads open', async () => {
    const token = 'a-long-enough-test-token';
    const guarded = buildServer({
      config: loadConfig({ CAPTIONER_HOME: home, DATABASE_URL: scratch.url, CAPTIONER_API_TOKEN: token }),
      db: database.client,
    });
    try {
      const runsBefore = await database.client.run.count();
      const anonymous = await guarded.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { dataset: 'shapes' },
      });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toEqual({ error: AUTH_REQUIRED_MESSAGE });
      const wrong = await guarded.inject({
        method: 'POST',
        url: `/api/runs/${runId}/cancel`,
        headers: { authorization: `Bearer ${token}x` },
      });
      expect(wrong.statusCode).toBe(401);
      expect(await database.client.run.count()).toBe(runsBefore);
      // The right token gets through to validation (400 names the field).
      const allowed = await guarded.inject({
        method: 'POST',
        url: '/api/runs',
        headers: { authorization: `Bearer ${token}` },
        payload: { dataset: 42 },
      });
      expect(allowed.statusCode).toBe(400);
      expect((await guarded.inject({ method: 'GET', url: '/api/runs' })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('sweep pages', () => {
  const LR = 'training.learningRate';
  const CELL = 'model.decoder.cell';
  let sweepId: string;
  let older: string;
  /** Run ids by learning rate. */
  const runs: Record<number, string> = {};

  /** Cell texts of a table row's columns, in document order, from the page's HTML. */
  const rowsOf = (html: string) =>
    [...html.matchAll(/<tr><td>(.*?)<\/td><\/tr>/g)].map((m) => m[1].split('</td><td>'));

  /** A run of the sweep with its final evaluation scored `cider` (none: still unscored) and `status`. */
  async function sweepRun(
    datasetId: string,
    lr: number,
    cell: string,
    cider: number | null,
    status: 'succeeded' | 'failed',
  ) {
    const db = database.client;
    const run = await createRun(db, {
      datasetId,
      config: { training: { learningRate: lr, epochs: 3 }, model: { decoder: { cell } } },
      executor: 'local',
      sweepId,
    });
    runs[lr] = run.id;
    await setRunStatus(db, run.id, 'running');
    const evaluation = await createEvaluation(db, {
      runId: run.id,
      checkpointId: null,
      split: 'test',
      settings: {},
      isFinal: true,
    });
    await setEvaluationStatus(db, evaluation.id, 'running');
    if (cider === null) await setEvaluationStatus(db, evaluation.id, 'failed', 'boom');
    else
      await completeEvaluation(db, evaluation.id, {
        checkpointId: null,
        scores: { Bleu_4: 0.9, CIDEr: cider },
        samples: [],
      });
    await setRunStatus(db, run.id, status, status === 'failed' ? 'boom' : undefined);
  }

  it('without sweeps, /sweeps says how to start one', async () => {
    const res = await server.inject({ method: 'GET', url: '/sweeps' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<code>captioner sweep start --dataset D --grid key=v1,v2</code>');
    expect(res.body).toContain('<a href="/sweeps">Sweeps</a>');
  });

  it('/sweeps lists the sweeps newest first, with data set, status, metric, prune and run count', async () => {
    const { id: datasetId } = await getDataset(database.client, 'shapes');
    older = (await createSweep(database.client, { datasetId, spec: {}, metric: 'BLEU', prune: 'none' })).id;
    // createdAt in milliseconds: the second sweep is the newer one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sweep = await createSweep(database.client, {
      datasetId,
      spec: {
        base: {},
        axes: [
          { key: LR, values: [0.001, 0.003, 0.01, 0.03] },
          { key: CELL, values: ['lstm', '<i>gru</i>'] },
        ],
      },
      metric: 'CIDEr',
      prune: 'median',
    });
    sweepId = sweep.id;
    // Created in this order; ranked by final CIDEr: 0.003, 0.001, 0.01 (pruned), then 0.03 (no score).
    await sweepRun(datasetId, 0.001, 'lstm', 0.5, 'succeeded');
    await sweepRun(datasetId, 0.003, '<i>gru</i>', 1.25, 'succeeded');
    await sweepRun(datasetId, 0.01, 'lstm', 0.125, 'succeeded');
    await markRunPruned(database.client, runs[0.01], 1);
    await sweepRun(datasetId, 0.03, 'lstm', null, 'failed');

    const res = await server.inject({ method: 'GET', url: '/sweeps' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('captioner sweep start');
    const rows = rowsOf(res.body);
    expect(rows.map((r) => r[0])).toEqual([
      `<a href="/sweeps/${sweepId}">${sweepId}</a>`,
      `<a href="/sweeps/${older}">${older}</a>`,
    ]);
    // Data set, status (every run finished: the sweep finished), metric, prune, runs.
    expect(rows[0].slice(1, 6)).toEqual([
      'shapes',
      '<span class="finished">finished</span>',
      'CIDEr',
      'median',
      '4',
    ]);
    expect(rows[1].slice(1, 6)).toEqual([
      'shapes',
      '<span class="running">running</span>',
      'BLEU',
      'none',
      '0',
    ]);
    // The same sweeps, in the same order, as the JSON API.
    const api = await server.inject({ method: 'GET', url: '/api/sweeps' });
    expect(api.json().map((s: { id: string }) => s.id)).toEqual([sweepId, older]);
  });

  it('/sweeps/:id shows the grid and the runs as GET /api/sweeps/:id ranks them, escaped', async () => {
    const res = await server.inject({ method: 'GET', url: `/sweeps/${sweepId}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`Sweep ${sweepId}: <span class="finished">finished</span>`);
    expect(res.body).toContain('ranked by CIDEr · prune median');
    expect(res.body).toContain(`<li><code>${LR}</code>: 0.001, 0.003, 0.01, 0.03</li>`);
    expect(res.body).toContain(`<li><code>${CELL}</code>: lstm, &lt;i&gt;gru&lt;/i&gt;</li>`);
    expect(res.body).not.toContain('<i>');

    const rows = rowsOf(res.body);
    const order = [runs[0.003], runs[0.001], runs[0.01], runs[0.03]];
    expect(rows.map((r) => r[1])).toEqual(order.map((id) => `<a href="/runs/${id}">${id}</a>`));
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3', '–']);
    expect(rows.map((r) => r[4])).toEqual(['1.250', '0.500', '0.125', '–']);
    expect(rows.map((r) => r[2])).toEqual([
      '<span class="succeeded">succeeded</span>',
      '<span class="succeeded">succeeded</span>',
      '<span class="succeeded">succeeded</span> <span class="muted">pruned at epoch 1</span>',
      '<span class="failed">failed</span>',
    ]);
    expect(rows[0][3]).toBe(`<code>${LR}=0.003</code><br><code>${CELL}=&lt;i&gt;gru&lt;/i&gt;</code>`);
    expect(res.body).toContain('<th>CIDEr</th>');

    // The JSON API ranks the same runs the same way.
    const api = await server.inject({ method: 'GET', url: `/api/sweeps/${sweepId}` });
    expect(api.json().runs.map((r: { runId: string }) => r.runId)).toEqual(order);

    // A run of the sweep links to it from the runs list.
    const list = await server.inject({ method: 'GET', url: '/?archived=1' });
    expect(list.body).toContain(`<a class="muted" href="/sweeps/${sweepId}">sweep ${sweepId}</a>`);
  });

  it('/sweeps/:id of an unknown sweep is a 404, as /runs/:id', async () => {
    const missing = await server.inject({ method: 'GET', url: '/sweeps/sweep_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'sweep not found: sweep_nope' });
    const empty = await server.inject({ method: 'GET', url: `/sweeps/${older}` });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('<p>no axes</p>');
    expect(empty.body).toContain('<p>no runs</p>');
  });
});

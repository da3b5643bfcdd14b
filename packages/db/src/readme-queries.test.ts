import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeEvaluation,
  setEvaluationStatus,
  createEvaluation,
  createScratchDatabase,
  createStageRuns,
  finishStage,
  openDatabase,
  recordMetric,
  upsertDataset,
  WHOLE_RUN,
} from './index';
import type { Database, ScratchDatabase } from './index';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'README.md');

/** The ```sql blocks of the README's "Querying run history" section, as written. */
function readmeQueries(): string[] {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Querying run history');
  if (start < 0) throw new Error(`${README}: no "## Querying run history" section`);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('the README queries on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let db: Database;
  let psql: pg.Client;
  const queries = readmeQueries();

  beforeAll(async () => {
    scratch = await createScratchDatabase('postgresql');
    db = await openDatabase(scratch.url);
    psql = new pg.Client({ connectionString: scratch.url });
    await psql.connect();
    const dataset = await upsertDataset(db.client, {
      name: 'shapes',
      format: 'manifest',
      sourcePath: '/x',
      manifestPath: '/x/manifest.json',
      itemCount: 10,
      captionCount: 50,
      splits: { train: 8, val: 1, test: 1 },
      report: { problems: [] },
      problemCount: 0,
    });
    // Fixed ids: the README's loss query names run-1234abcd.
    for (const [id, epochs, cider] of [
      ['run-1234abcd', 3, 0.42],
      ['run-5678ef00', 5, 0.87],
    ] as const) {
      await db.client.run.create({
        data: {
          id,
          name: `epochs ${epochs}`,
          datasetId: dataset.id,
          status: 'succeeded',
          config: { training: { epochs } },
          executor: 'local',
        },
      });
      const evaluation = await createEvaluation(db.client, {
        runId: id,
        checkpointId: null,
        split: 'test',
        settings: { beamSize: 3 },
        isFinal: true,
      });
      await setEvaluationStatus(db.client, evaluation.id, 'running');
      await completeEvaluation(db.client, evaluation.id, {
        checkpointId: null,
        scores: { CIDEr: cider, Bleu_4: cider / 4 },
        samples: [],
      });
    }
    for (const [step, value] of [
      [20, 2.5],
      [10, 3.25],
      [30, 2.125],
    ])
      await recordMetric(db.client, { runId: 'run-1234abcd', name: 'train/loss', step, epoch: 0, value });
    await recordMetric(db.client, {
      runId: 'run-1234abcd',
      name: 'val/CIDEr',
      step: 30,
      epoch: 1,
      value: 0.4,
    });
    const key = { runId: 'run-5678ef00', stage: 'train', shard: WHOLE_RUN } as const;
    await createStageRuns(db.client, [key, { runId: 'run-5678ef00', stage: 'evaluate', shard: WHOLE_RUN }]);
    await finishStage(db.client, key, 'failed', 'the train split has no images');
  });
  afterAll(async () => {
    await psql?.end();
    await db?.close();
    await scratch?.drop();
  });

  it('has the three queries', () => {
    expect(queries).toHaveLength(3);
  });

  it('ranks runs by the CIDEr-D of their final evaluation', async () => {
    const { rows } = await psql.query(queries[0]);
    expect(rows.map((r) => [r.id, Number(r.cider), r.epochs])).toEqual([
      ['run-5678ef00', 0.87, '5'],
      ['run-1234abcd', 0.42, '3'],
    ]);
  });

  it("lists a run's loss in step order", async () => {
    const { rows } = await psql.query(queries[1]);
    expect(rows.map((r) => [r.step, Number(r.loss)])).toEqual([
      [10, 3.25],
      [20, 2.5],
      [30, 2.125],
    ]);
  });

  it('lists failed stages with their errors', async () => {
    const { rows } = await psql.query(queries[2]);
    expect(rows).toMatchObject([
      { run_id: 'run-5678ef00', stage: 'train', shard: -1, error: 'the train split has no images' },
    ]);
  });
});

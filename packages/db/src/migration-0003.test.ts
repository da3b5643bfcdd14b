import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchDatabase, getDataset, getRunDetails, openDatabase, recordMetric } from './index';
import type { ScratchDatabase } from './index';
import { migrationsDir } from './migrate';
import type { DatabaseProvider } from './client';

const OLD = ['0001_init', '0002_evaluation_is_final'];

/** A raw connection to a scratch database : runs SQL as an 0002-era database saw it. */
interface RawDb {
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function rawDb(provider: DatabaseProvider, url: string): Promise<RawDb> {
  if (provider === 'sqlite') {
    const adapter = await new PrismaBetterSQLite3({ url: url.slice('file:'.length) }).connect();
    return { exec: (sql) => adapter.executeScript(sql), close: () => adapter.dispose() };
  }
  // pg itself, not the adapter: the adapter's executeScript splits at every `;`, even in comments.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { exec: async (sql) => void (await client.query(sql)), close: () => client.end() };
}

/** Brings a fresh database to migration 0002 and records it as the runner does (name and checksum). */
async function migrateTo0002(provider: DatabaseProvider, raw: RawDb) {
  await raw.exec(
    'CREATE TABLE captioner_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  for (const name of OLD) {
    const sql = fs.readFileSync(path.join(migrationsDir(provider), name, 'migration.sql'), 'utf8');
    await raw.exec(sql);
    const checksum = createHash('sha256').update(sql).digest('hex');
    await raw.exec(
      `INSERT INTO captioner_migrations (name, checksum, applied_at) VALUES ('${name}', '${checksum}', '2026-01-01T00:00:00.000Z')`,
    );
  }
}

/** Rows in the shape the application wrote before 0003: CamelCase tables, JSON as text. */
function oldRows(provider: DatabaseProvider): string {
  const t = provider === 'sqlite' ? `'2026-01-02T03:04:05.000+00:00'` : `'2026-01-02 03:04:05'`;
  const yes = provider === 'sqlite' ? '1' : 'true';
  const no = provider === 'sqlite' ? '0' : 'false';
  return `
INSERT INTO "Dataset" ("id","name","format","sourcePath","manifestPath","itemCount","captionCount","splits","report","problemCount","createdAt","updatedAt")
VALUES ('ds-1','shapes','manifest','/src','/src/manifest.json',10,50,'{"train":8,"val":1,"test":1}','{"problems":[{"kind":"no_split","file":"a.csv","line":3}]}',1,${t},${t});
INSERT INTO "Run" ("id","name","datasetId","status","config","executor","backend","error","createdAt","updatedAt","startedAt","finishedAt")
VALUES ('run-1','first','ds-1','succeeded','{"training":{"epochs":3},"seed":7}','bullmq','wasm',NULL,${t},${t},${t},${t});
INSERT INTO "StageRun" ("id","runId","stage","shard","status","progress","message","figures","attempts","error","workerId","createdAt","updatedAt","startedAt","finishedAt")
VALUES ('st-1','run-1','train',-1,'succeeded',1,'step 30/30','{"loss":1.25,"tokensPerSecond":1800}',2,NULL,'w1',${t},${t},${t},${t});
INSERT INTO "StageRun" ("id","runId","stage","shard","status","progress","message","figures","attempts","error","workerId","createdAt","updatedAt","startedAt","finishedAt")
VALUES ('st-2','run-1','preprocess',0,'failed',0.5,NULL,NULL,1,'image a.jpg is missing',NULL,${t},${t},NULL,NULL);
INSERT INTO "Shard" ("id","runId","kind","index","path","itemCount","failed","sha256","bytes","createdAt","updatedAt")
VALUES ('sh-1','run-1','images',0,'/shards/0',9,'[{"id":"a","error":"missing"}]','abc',1234,${t},${t});
INSERT INTO "Checkpoint" ("id","runId","step","epoch","kind","path","valMetric","valScore","isBest","onDisk","createdAt")
VALUES ('ck-1','run-1',30,3,'epoch','/ck/30','CIDEr',0.75,${yes},${no},${t});
INSERT INTO "Metric" ("runId","name","step","epoch","value","createdAt") VALUES ('run-1','loss',10,1,2.5,${t});
INSERT INTO "Metric" ("runId","name","step","epoch","value","createdAt") VALUES ('run-1','loss',20,2,1.5,${t});
INSERT INTO "Evaluation" ("id","runId","checkpointId","split","isFinal","settings","status","scores","imageCount","error","createdAt","finishedAt")
VALUES ('ev-1','run-1','ck-1','test',${yes},'{"beamSize":3}','succeeded','{"CIDEr":0.91,"Bleu_4":0.25}',1,NULL,${t},${t});
INSERT INTO "EvaluationSample" ("evaluationId","imageId","candidate","references","bleu4","cider","rougeL")
VALUES ('ev-1','img-1','a red circle','["a red circle","a circle in red"]',1,2.5,0.9);
`;
}

describe.each(['sqlite', 'postgresql'] as const)('migration 0003 on %s', (provider) => {
  let scratch: ScratchDatabase | undefined;
  afterEach(async () => {
    await scratch?.drop();
  });

  it('keeps every row and value of a database at 0002', async () => {
    scratch = await createScratchDatabase(provider);
    const raw = await rawDb(provider, scratch.url);
    await migrateTo0002(provider, raw);
    await raw.exec(oldRows(provider));
    await raw.close();

    const db = await openDatabase(scratch.url);
    try {
      const dataset = await getDataset(db.client, 'shapes');
      expect(dataset).toMatchObject({
        id: 'ds-1',
        sourcePath: '/src',
        manifestPath: '/src/manifest.json',
        itemCount: 10,
        captionCount: 50,
        splits: { train: 8, val: 1, test: 1 },
        report: { problems: [{ kind: 'no_split', file: 'a.csv', line: 3 }] },
        problemCount: 1,
      });
      expect(dataset.createdAt.toISOString()).toBe('2026-01-02T03:04:05.000Z');

      const run = await getRunDetails(db.client, 'run-1');
      expect(run).toMatchObject({
        name: 'first',
        datasetId: 'ds-1',
        status: 'succeeded',
        config: { training: { epochs: 3 }, seed: 7 },
        executor: 'bullmq',
        backend: 'wasm',
        error: null,
      });
      expect(run.finishedAt?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
      expect(
        run.stages.map((s) => [s.id, s.stage, s.shard, s.status, s.figures, s.error, s.workerId]),
      ).toEqual(
        expect.arrayContaining([
          ['st-1', 'train', -1, 'succeeded', { loss: 1.25, tokensPerSecond: 1800 }, null, 'w1'],
          ['st-2', 'preprocess', 0, 'failed', null, 'image a.jpg is missing', null],
        ]),
      );
      expect(run.checkpoints).toMatchObject([
        { id: 'ck-1', step: 30, valMetric: 'CIDEr', valScore: 0.75, isBest: true, onDisk: false },
      ]);
      expect(run.metrics.map((m) => [m.step, m.value])).toEqual([
        [10, 2.5],
        [20, 1.5],
      ]);
      expect(run.evaluations).toMatchObject([
        {
          id: 'ev-1',
          checkpointId: 'ck-1',
          isFinal: true,
          settings: { beamSize: 3 },
          scores: { CIDEr: 0.91, Bleu_4: 0.25 },
          imageCount: 1,
        },
      ]);
      const shards = await db.client.shard.findMany();
      expect(shards).toMatchObject([
        { id: 'sh-1', index: 0, itemCount: 9, failed: [{ id: 'a', error: 'missing' }] },
      ]);
      const samples = await db.client.evaluationSample.findMany();
      expect(samples).toMatchObject([
        { imageId: 'img-1', references: ['a red circle', 'a circle in red'], cider: 2.5, rougeL: 0.9 },
      ]);

      // Auto-increment ids continue after the copied rows (SQLite rebuild, PostgreSQL renamed sequence).
      const next = await recordMetric(db.client, {
        runId: 'run-1',
        name: 'loss',
        step: 30,
        epoch: 3,
        value: 1,
      });
      expect(next.id).toBeGreaterThan(Math.max(...run.metrics.map((m) => m.id)));

      // What a psql user sees: snake_case names with no quoting, and jsonb that needs no cast.
      const rows = await db.client.$queryRawUnsafe<{ id: string; dataset_id: string }[]>('select * from run');
      expect(rows.map((r) => [r.id, r.dataset_id])).toEqual([['run-1', 'ds-1']]);
      if (provider === 'postgresql') {
        const types = await db.client.$queryRawUnsafe<{ column_name: string; data_type: string }[]>(
          `select table_name || '.' || column_name as column_name, data_type from information_schema.columns
           where table_schema = 'public' and data_type in ('jsonb', 'json', 'text')
             and column_name in ('config','splits','report','figures','failed','settings','scores','reference_captions')
           order by 1`,
        );
        expect(types).toEqual(
          [
            'dataset.report',
            'dataset.splits',
            'evaluation.scores',
            'evaluation.settings',
            'evaluation_sample.reference_captions',
            'run.config',
            'shard.failed',
            'stage_run.figures',
          ].map((column_name) => ({ column_name, data_type: 'jsonb' })),
        );
        const best = await db.client.$queryRawUnsafe<{ cider: number }[]>(
          `select (scores->>'CIDEr')::float as cider from evaluation where is_final`,
        );
        expect(best).toEqual([{ cider: 0.91 }]);
      }
    } finally {
      await db.close();
    }
  });
});

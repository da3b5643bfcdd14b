import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRun,
  createScratchDatabase,
  createSweep,
  openDatabase,
  testDatasetRecord,
  upsertDataset,
} from './index';
import type { Database, ScratchDatabase } from './index';
import { readScores, runListView, sweepListView } from './views';

describe('readScores', () => {
  it('hands out the metric numbers, the grounding and the diversity figures separately', () => {
    const column = {
      Bleu_4: 0.5,
      CIDEr: 1.25,
      grounding: { images: 3, objectPrecision: null },
      diversity: { captions: 3, uniqueRate: 1, novelRate: null },
    };
    expect(readScores(column)).toEqual({
      scores: { Bleu_4: 0.5, CIDEr: 1.25 },
      grounding: { images: 3, objectPrecision: null },
      diversity: { captions: 3, uniqueRate: 1, novelRate: null },
    });
  });

  it('reads older rows, stored before grounding and diversity were measured', () => {
    expect(readScores({ CIDEr: 2 })).toEqual({
      scores: { CIDEr: 2 },
      grounding: null,
      diversity: null,
    });
    expect(readScores(null)).toEqual({ scores: null, grounding: null, diversity: null });
  });
});

describe.each(['sqlite', 'postgresql'] as const)('sweepListView on %s', (provider) => {
  let scratch: ScratchDatabase;
  let db: Database;

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    db = await openDatabase(scratch.url);
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("lists sweeps newest first with their data set's name and run count; runs name their sweep", async () => {
    expect(await sweepListView(db.client)).toEqual([]);
    const dataset = await upsertDataset(db.client, testDatasetRecord('swept'));
    const input = { datasetId: dataset.id, spec: {}, metric: 'CIDEr', prune: 'none' } as const;
    const empty = await createSweep(db.client, input);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const full = await createSweep(db.client, { ...input, prune: 'median' });
    for (let i = 0; i < 3; i++)
      await createRun(db.client, { datasetId: dataset.id, config: {}, executor: 'local', sweepId: full.id });
    const loose = await createRun(db.client, { datasetId: dataset.id, config: {}, executor: 'local' });

    const listed = await sweepListView(db.client);
    expect(listed.map((s) => [s.id, s.dataset, s.prune, s.runCount])).toEqual([
      [full.id, 'swept', 'median', 3],
      [empty.id, 'swept', 'none', 0],
    ]);
    expect(listed[0]).toMatchObject({ status: 'running', metric: 'CIDEr', datasetId: dataset.id });
    expect((await sweepListView(db.client, 1)).map((s) => s.id)).toEqual([full.id]);

    const runs = await runListView(db.client, 10);
    expect(runs.filter((r) => r.sweepId === full.id)).toHaveLength(3);
    expect(runs.find((r) => r.id === loose.id)?.sweepId).toBeNull();
  });
});

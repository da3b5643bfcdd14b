import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRun,
  createScratchDatabase,
  createSweep,
  getRun,
  openDatabase,
  recordMetric,
  testDatasetRecord,
  upsertDataset,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { medianPruner } from './sweep-pruning';

describe.each(['sqlite', 'postgresql'] as const)('medianPruner on %s', (provider) => {
  let scratch: ScratchDatabase;
  let db: Database;
  let datasetId: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    db = await openDatabase(scratch.url);
    const dataset = await upsertDataset(db.client, testDatasetRecord('pruning-data'));
    datasetId = dataset.id;
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  async function sweepWithRuns(prune: 'none' | 'median', runs: number) {
    const sweep = await createSweep(db.client, { datasetId, spec: {}, metric: 'CIDEr', prune });
    const created = [];
    for (let i = 0; i < runs; i++)
      created.push(
        await createRun(db.client, { datasetId, config: {}, executor: 'local', sweepId: sweep.id }),
      );
    return created;
  }

  it("stops a run below the median of its peers' recorded scores at that epoch, and records it pruned", async () => {
    const [a, b, c, d] = await sweepWithRuns('median', 4);
    // Peers' validation CIDEr after epoch 1: 1, 2, 3 (median 2); after epoch 2 only one peer.
    for (const [run, value] of [
      [a, 1],
      [b, 2],
      [c, 3],
    ] as const)
      await recordMetric(db.client, { runId: run.id, name: 'val/CIDEr', step: 10, epoch: 1, value });
    await recordMetric(db.client, { runId: c.id, name: 'val/CIDEr', step: 20, epoch: 2, value: 3.5 });
    // A metric of another name or another sweep is no peer.
    await recordMetric(db.client, { runId: a.id, name: 'val/Bleu_4', step: 10, epoch: 1, value: 100 });
    const [outsider] = await sweepWithRuns('median', 1);
    await recordMetric(db.client, { runId: outsider.id, name: 'val/CIDEr', step: 10, epoch: 1, value: 0 });

    const prune = (await medianPruner(db.client, await getRun(db.client, d.id), 'CIDEr'))!;
    expect(await prune(1, 2.5)).toBe(false);
    expect((await getRun(db.client, d.id)).prunedAtEpoch).toBeNull();
    expect(await prune(2, 3.4)).toBe(true);
    expect((await getRun(db.client, d.id)).prunedAtEpoch).toBe(2);

    // The run itself is never its own peer: with its own score recorded, it is compared with a, b, c only.
    const own = (await medianPruner(db.client, await getRun(db.client, b.id), 'CIDEr'))!;
    expect(await own(1, 1.9)).toBe(true);
  });

  it('is undefined for a run outside a sweep and for a sweep without pruning', async () => {
    const [inSweep] = await sweepWithRuns('none', 1);
    expect(await medianPruner(db.client, await getRun(db.client, inSweep.id), 'CIDEr')).toBeUndefined();
    const alone = await createRun(db.client, { datasetId, config: {}, executor: 'local' });
    expect(await medianPruner(db.client, await getRun(db.client, alone.id), 'CIDEr')).toBeUndefined();
  });
});

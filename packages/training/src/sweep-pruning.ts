import type { DbClient } from '@captioner/db';
import { getSweep, markRunPruned } from '@captioner/db';
import { shouldPruneAtEpoch } from '@captioner/stage-contract';

/**
 * The training stage's `shouldPrune` for a run of a sweep with `prune: median`: compares this run's
 * validation score after `epoch` with the same metric of the sweep's other runs that reached that
 * epoch (their `val/<metric>` Metric rows), and records the run as pruned when it is below their median.
 * Undefined for a run outside a sweep or a sweep without pruning.
 */
export async function medianPruner(
  db: DbClient,
  run: { id: string; sweepId: string | null },
  metricName: string,
): Promise<((epoch: number, valScore: number) => Promise<boolean>) | undefined> {
  if (!run.sweepId) return undefined;
  const sweep = await getSweep(db, run.sweepId);
  if (sweep.prune !== 'median') return undefined;
  const sweepId = run.sweepId;
  return async (epoch, valScore) => {
    const peers = await db.metric.findMany({
      where: { name: `val/${metricName}`, epoch, run: { sweepId, id: { not: run.id } } },
      select: { value: true },
    });
    const prune = shouldPruneAtEpoch(
      valScore,
      peers.map((p) => p.value),
    );
    if (prune) await markRunPruned(db, run.id, epoch);
    return prune;
  };
}

import { createSweep, getDataset, getSweep, listSweepRuns, setSweepStatus } from '@captioner/db';
import { isFinishedRunStatus } from '@captioner/db';
import { applyAssignment, expandGrid, sampleGrid, validateSweep } from '@captioner/stage-contract';
import type { GridAxis, SweepAssignment } from '@captioner/stage-contract';
import { cancelRun, startRun } from './operations';
import type { OperationContext } from './operations';

export interface SweepInput {
  dataset: string;
  baseConfig?: unknown;
  axes: GridAxis[];
  random?: { count: number; seed: number };
  metric?: string;
  prune?: 'none' | 'median';
}

/**
 * `sweep start`: validates every configuration first (one bad key refuses the whole sweep), records
 * the sweep, then starts one ordinary run per configuration through `startRun`, so workers take them
 * one at a time like any other run.
 */
export async function startSweep(
  ctx: OperationContext,
  input: SweepInput,
): Promise<{ sweepId: string; runIds: string[]; assignments: SweepAssignment[] }> {
  const grid = expandGrid(input.axes);
  const assignments = input.random ? sampleGrid(grid, input.random.count, input.random.seed) : grid;
  validateSweep(input.baseConfig ?? {}, assignments);
  const dataset = await getDataset(ctx.db, input.dataset);
  const sweep = await createSweep(ctx.db, {
    datasetId: dataset.id,
    spec: { base: input.baseConfig ?? {}, axes: input.axes, random: input.random ?? null },
    metric: input.metric ?? 'CIDEr',
    prune: input.prune ?? 'none',
  });
  const runIds: string[] = [];
  for (const [index, assignment] of assignments.entries()) {
    const plan = await startRun(ctx, {
      dataset: dataset.id,
      runConfig: applyAssignment(input.baseConfig ?? {}, assignment),
      name: `${sweep.id}-${index + 1}`,
      sweepId: sweep.id,
    });
    runIds.push(plan.runId);
  }
  return { sweepId: sweep.id, runIds, assignments };
}

/** `sweep cancel`: cancels every unfinished run of the sweep and marks the sweep cancelled. */
export async function cancelSweep(ctx: OperationContext, sweepId: string): Promise<{ cancelled: string[] }> {
  await getSweep(ctx.db, sweepId);
  const cancelled: string[] = [];
  for (const run of await listSweepRuns(ctx.db, sweepId)) {
    if (isFinishedRunStatus(run.status as never)) continue;
    await cancelRun(ctx, run.id);
    cancelled.push(run.id);
  }
  await setSweepStatus(ctx.db, sweepId, 'cancelled');
  return { cancelled };
}

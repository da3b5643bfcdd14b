/** What ranking needs of a run: its status, its config, and its final evaluation's scores. */
export interface RankableRun {
  id: string;
  status: string;
  config: unknown;
  prunedAtEpoch: number | null;
  evaluations: { isFinal: boolean; status: string; scores: unknown }[];
}

export interface RankedRun {
  rank: number | null;
  runId: string;
  status: string;
  prunedAtEpoch: number | null;
  score: number | null;
  settings: Record<string, unknown>;
}

function valueAt(config: unknown, key: string): unknown {
  let node: unknown = config;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function finalScore(run: RankableRun, metric: string): number | null {
  const final = run.evaluations.find((e) => e.isFinal && e.status === 'succeeded');
  const scores = final?.scores as Record<string, unknown> | null | undefined;
  const value = scores?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Ranks a sweep's runs by the final evaluation's `metric`, best first; runs without a score (still
 * running, failed, cancelled) follow unranked. `keys` are the swept settings shown per run.
 */
export function rankSweepRuns(
  runs: readonly RankableRun[],
  metric: string,
  keys: readonly string[],
): RankedRun[] {
  const rows = runs.map((run) => ({
    rank: null as number | null,
    runId: run.id,
    status: run.status,
    prunedAtEpoch: run.prunedAtEpoch,
    score: finalScore(run, metric),
    settings: Object.fromEntries(keys.map((key) => [key, valueAt(run.config, key)])),
  }));
  const scored = rows.filter((r) => r.score !== null).sort((a, b) => b.score! - a.score!);
  scored.forEach((row, i) => (row.rank = i + 1));
  return [...scored, ...rows.filter((r) => r.score === null)];
}

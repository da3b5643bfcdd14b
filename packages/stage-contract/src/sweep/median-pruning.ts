/**
 * Median pruning (as Optuna's MedianPruner): a run stops at an epoch when its validation metric
 * is below the median of the peers that reached that epoch. Higher is better (CIDEr-D, BLEU).
 * `minPeers` keeps the first runs of a sweep from being pruned against nothing.
 */
export function shouldPruneAtEpoch(value: number, peerValues: readonly number[], minPeers = 1): boolean {
  const peers = peerValues.filter(Number.isFinite);
  if (peers.length < minPeers || peers.length === 0) return false;
  const sorted = [...peers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return value < median;
}

import { getRun } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { readManifest, splitItems } from '@captioner/dataset';
import { scoreCaptions } from '@captioner/metrics';
import { loadSplitData, scoreSplitCaptions } from './split-data';
import type { CaptionedSplit } from './split-data';

/** Frequent training captions tried as the constant caption; the best is nearly always among the first. */
const CANDIDATES = 20;

/**
 * The best constant caption of a data set: among its most frequent training captions, the one with the
 * highest corpus CIDEr-D when given to every training image (ties: the more frequent). Chosen on the
 * training split only, so that scoring it on val/test is a fair floor: what a captioner that ignores
 * the image can reach.
 */
export function bestConstantCaption(training: ReadonlyArray<{ id: string; captions: string[] }>): string {
  const counts = new Map<string, number>();
  for (const item of training) for (const c of item.captions) counts.set(c, (counts.get(c) ?? 0) + 1);
  // Most frequent first; ties in code-unit order, so the choice does not depend on item order.
  const frequent = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, CANDIDATES)
    .map(([caption]) => caption);
  if (frequent.length === 0) return '';
  const refs = Object.fromEntries(training.map((item) => [item.id, item.captions]));
  let best = frequent[0];
  let bestScore = -Infinity;
  for (const caption of frequent) {
    const cands = Object.fromEntries(training.map((item) => [item.id, caption]));
    const score = scoreCaptions({ refs, cands }).corpus.CIDEr;
    if (score > bestScore) [best, bestScore] = [caption, score];
  }
  return best;
}

/** Scores the run's data set's best constant caption on a split (and its grounding, for shapes). */
export async function scoreConstantCaption(
  db: DbClient,
  options: { runId: string; split: 'val' | 'test' },
): Promise<CaptionedSplit & { caption: string }> {
  const run = await getRun(db, options.runId);
  const training = splitItems(await readManifest(run.dataset.manifestPath), 'train');
  const caption = bestConstantCaption(training);
  const data = await loadSplitData(db, run, options.split);
  const cands = Object.fromEntries(data.features.ids.map((id) => [id, caption]));
  return { ...scoreSplitCaptions(data, cands), caption };
}

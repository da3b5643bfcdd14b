import { SeededRandom, deriveSeed } from '@captioner/model';
import type { CaptionBatch } from '@captioner/model';
import type { TrainSplit } from './types';
import { gatherAttentionCells } from '../attention-cells';

/** Order of the captions in `epoch`: a permutation fixed by (seed, epoch), so the cursor is just (epoch, batch). */
export function epochOrder(seed: number, epoch: number, captions: number): Int32Array {
  return new SeededRandom(deriveSeed(seed, 0x0da7a, epoch)).permutation(captions);
}

export function stepsPerEpoch(captions: number, batchSize: number): number {
  return Math.ceil(captions / batchSize);
}

/** Caption rows of batch `index` of an epoch order. */
export function batchRows(order: Int32Array, index: number, batchSize: number): Int32Array {
  return order.subarray(index * batchSize, Math.min((index + 1) * batchSize, order.length));
}

/** Gathers batch `index` of an epoch order into contiguous arrays. */
export function gatherBatch(
  split: TrainSplit,
  order: Int32Array,
  index: number,
  batchSize: number,
  P: number,
  gridSize: number,
  withGrid: boolean,
): CaptionBatch {
  const rows = batchRows(order, index, batchSize);
  const B = rows.length;
  const T = split.captionLength;
  const captions = new Int32Array(B * T);
  const pooled = new Float32Array(B * P);
  const grid = withGrid ? new Float32Array(B * gridSize) : undefined;
  for (let b = 0; b < B; b++) {
    const row = rows[b];
    captions.set(split.captions.subarray(row * T, (row + 1) * T), b * T);
    const image = split.captionImage[row];
    pooled.set(split.pooled.subarray(image * P, (image + 1) * P), b * P);
    if (grid) grid.set(split.grid!.subarray(image * gridSize, (image + 1) * gridSize), b * gridSize);
  }
  const attentionCells = split.attentionCells && gatherAttentionCells(split.attentionCells, rows, T);
  return { captions, captionLength: T, pooled, grid, size: B, attentionCells };
}

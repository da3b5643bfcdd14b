import { CancelledError } from '@captioner/core';
import type { ProgressListener } from '@captioner/core';
import type { FeatureSet } from '@captioner/dataset';
import type { CaptionModel, DecodeOptions } from '@captioner/model';

/** Images decoded per call: large enough to batch the matmuls, small enough to report progress. */
const DECODE_BATCH = 64;

/** Decodes a caption (token ids) for every image of a feature set, batch by batch, as `options` say. */
export async function decodeFeatureSet(
  model: CaptionModel,
  features: FeatureSet,
  options: DecodeOptions & {
    beamSize: number;
    withGrid: boolean;
    onProgress?: ProgressListener;
    signal?: AbortSignal;
  },
): Promise<number[][]> {
  const n = features.ids.length;
  const gridSize = features.gridPositions * features.gridChannels;
  const out: number[][] = [];
  for (let start = 0; start < n; start += DECODE_BATCH) {
    if (options.signal?.aborted) throw new CancelledError('evaluation stopped');
    const count = Math.min(DECODE_BATCH, n - start);
    const tokens = await model.decode(
      {
        pooled: features.pooled.subarray(start * features.pooledSize, (start + count) * features.pooledSize),
        grid: options.withGrid
          ? features.grid.subarray(start * gridSize, (start + count) * gridSize)
          : undefined,
        count,
      },
      {
        beamSize: options.beamSize,
        lengthPenalty: options.lengthPenalty,
        noRepeatNgramSize: options.noRepeatNgramSize,
        maxLength: options.maxLength,
      },
    );
    out.push(...tokens);
    options.onProgress?.({ fraction: (start + count) / n, message: `${start + count}/${n} images decoded` });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

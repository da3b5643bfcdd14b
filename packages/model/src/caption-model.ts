import * as tf from '@tensorflow/tfjs';
import { CorruptArtifactError, InvalidInputError } from '@captioner/core/errors';
import type { FeatureShape, ModelConfig } from './config';
import { DecoderMath } from './decoder/decoder';
import type { DecoderParams, DecoderSpec, FeatureNorm } from './decoder/params';
import { paramsFromValues } from './decoder/params';
import { decodeBeamSearch } from './search/beam-search';
import { decodeGreedy } from './search/greedy';
import type { Beam, DecodeFeatures, DecodeOptions } from './search/types';
import type { NamedArrays } from './checkpoint/checkpoint-dir';

/** Decoder rows (images x beams) stepped together; larger batches are decoded in chunks of this size. */
const DECODE_CHUNK_ROWS = 256;

const NORM_KEYS = ['pooledMean', 'pooledStd', 'gridMean', 'gridStd'] as const;

/** A decoder ready to caption features. Owns its tensors unless it wraps a training run's live weights. */
export class CaptionModel {
  readonly math: DecoderMath;
  constructor(
    readonly config: ModelConfig,
    readonly featureShape: FeatureShape,
    readonly vocabSize: number,
    params: DecoderParams,
    norm: FeatureNorm,
    private readonly ownsTensors = true,
  ) {
    this.math = new DecoderMath({ decoder: config.decoder, featureShape, vocabSize }, params, norm);
  }

  /** Every caption's beams, best first (`beamSize` of them; one for greedy). */
  async decodeBeams(features: DecodeFeatures, options: DecodeOptions = {}): Promise<Beam[][]> {
    const beamSize = options.beamSize ?? 1;
    const maxLength = options.maxLength ?? this.config.decoder.maxLength;
    const noRepeat = options.noRepeatNgramSize ?? 0;
    const lengthPenalty = options.lengthPenalty ?? 0;
    const attention = options.attention ?? false;
    if (!Number.isInteger(noRepeat) || noRepeat < 0)
      throw new InvalidInputError(`noRepeatNgramSize must be a non-negative integer, got ${noRepeat}`);
    if (!Number.isFinite(lengthPenalty) || lengthPenalty < 0)
      throw new InvalidInputError(`lengthPenalty must be a non-negative number, got ${lengthPenalty}`);
    if (!Number.isInteger(beamSize) || beamSize < 1)
      throw new InvalidInputError(`beam size must be a positive integer, got ${beamSize}`);
    if (!Number.isInteger(maxLength) || maxLength < 1)
      throw new InvalidInputError(`maxLength must be a positive integer, got ${maxLength}`);
    if (features.count === 0) return [];
    // Chunks bound memory: beam search keeps beamSize copies of every image's grid features.
    const chunk = Math.max(1, Math.floor(DECODE_CHUNK_ROWS / beamSize));
    const { pooledSize: P, gridPositions: G, gridChannels: C } = this.featureShape;
    const out: Beam[][] = [];
    for (let start = 0; start < features.count; start += chunk) {
      const n = Math.min(chunk, features.count - start);
      const part: DecodeFeatures = {
        pooled: features.pooled.subarray(start * P, (start + n) * P),
        grid: features.grid?.subarray(start * G * C, (start + n) * G * C),
        count: n,
      };
      if (features.count > chunk && features.pooled.length !== features.count * P) {
        throw new InvalidInputError(
          `pooled features: expected ${features.count}x${P} values, got ${features.pooled.length}`,
        );
      }
      if (beamSize === 1)
        out.push(...(await decodeGreedy(this.math, part, maxLength, noRepeat, attention)).map((b) => [b]));
      else
        out.push(
          ...(await decodeBeamSearch(
            this.math,
            part,
            beamSize,
            maxLength,
            lengthPenalty,
            noRepeat,
            attention,
          )),
        );
    }
    return out;
  }

  /** The best caption of each image, as word ids without specials; never empty. */
  async decode(features: DecodeFeatures, options: DecodeOptions = {}): Promise<number[][]> {
    return (await this.decodeBeams(features, options)).map((beams) => beams[0].tokens);
  }

  dispose(): void {
    if (!this.ownsTensors) return;
    tf.dispose(Object.values(this.math.params));
    tf.dispose(Object.values(this.math.norm));
  }
}

/**
 * Splits checkpoint tensors into decoder parameters and feature statistics. `source` (the checkpoint
 * directory or bundle) names the artifact in the error when a tensor is missing or has another size.
 */
export function decoderFromArrays(
  spec: DecoderSpec,
  tensors: NamedArrays,
  source: string,
): { params: DecoderParams; norm: FeatureNorm } {
  const values: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(tensors))
    if (name.startsWith('decoder/')) values[name.slice('decoder/'.length)] = t.data;
  const params = paramsFromValues(spec, values, source);
  const norm = {} as FeatureNorm;
  for (const key of NORM_KEYS) {
    const t = tensors[`norm/${key}`];
    if (!t) {
      tf.dispose(Object.values(params));
      tf.dispose(Object.values(norm));
      throw new CorruptArtifactError(`${source}: no normalisation statistics norm/${key}`);
    }
    norm[key] = tf.tensor1d(t.data);
  }
  return { params, norm };
}

/** Decoder parameters and feature statistics as named arrays (the checkpoint layout). */
export function decoderToArrays(params: DecoderParams, norm: FeatureNorm): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, v] of Object.entries(params))
    out[`decoder/${name}`] = { shape: v.shape, data: v.dataSync() as Float32Array };
  for (const key of NORM_KEYS)
    out[`norm/${key}`] = { shape: norm[key].shape, data: norm[key].dataSync() as Float32Array };
  return out;
}

// loadCaptionModel (reads a checkpoint directory with node:fs) is in load-caption-model.ts: this module is
// reachable from the browser entry.

import * as ort from 'onnxruntime-node';
import { InvalidInputError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';
import type { EncodedImages, ImageEncoder } from '../encoder/image-encoder';
import {
  layersModelToOnnx,
  ONNX_ENCODER_INPUT,
  ONNX_GRID_OUTPUT,
  ONNX_POOLED_OUTPUT,
} from './layers-to-onnx';

/*
 * An image encoder run by ONNX Runtime (onnxruntime-node) from the ONNX that layers-to-onnx.ts writes from
 * the tfjs encoder: same inputs ([n, S, S, 3] normalised pixels, NHWC) and same outputs as ImageEncoder.
 */

export interface OnnxSessionOptions {
  /** Intra-op threads; defaults to ONNX Runtime's choice (one per core). */
  threads?: number;
  /** Try the CUDA execution provider first (needs onnxruntime-node's CUDA binaries, see the README). */
  cuda?: boolean;
  /** Told when CUDA was asked for and the session fell back to the CPU. */
  onWarning?: (message: string) => void;
}

/** Creates an inference session for ONNX bytes, on CUDA when asked and possible, on the CPU otherwise. */
export async function createOnnxSession(
  bytes: Uint8Array,
  options: OnnxSessionOptions = {},
): Promise<{ session: ort.InferenceSession; provider: 'cuda' | 'cpu' }> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  };
  if (options.cuda) {
    try {
      return {
        session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda'] }),
        provider: 'cuda',
      };
    } catch (error) {
      options.onWarning?.(
        `ONNX Runtime: CUDA execution provider unavailable (${(error as Error).message.split('\n')[0]}); running on the CPU`,
      );
    }
  }
  return {
    session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] }),
    provider: 'cpu',
  };
}

/** Encodes images with ONNX Runtime; `encode` matches ImageEncoder.encode. */
export class OnnxImageEncoder {
  readonly engine = 'onnx' as const;

  private constructor(
    readonly config: EncoderConfig,
    readonly pooledSize: number,
    readonly gridPositions: number,
    readonly gridChannels: number,
    readonly provider: 'cuda' | 'cpu',
    private readonly session: ort.InferenceSession,
  ) {}

  /** Exports `encoder` to ONNX in memory and opens a session on it. */
  static async fromImageEncoder(
    encoder: ImageEncoder,
    options: OnnxSessionOptions = {},
  ): Promise<OnnxImageEncoder> {
    return OnnxImageEncoder.fromOnnx(layersModelToOnnx(encoder.model), encoder, options);
  }

  /** Opens a session on ONNX bytes written for an encoder with this shape (an `encoder.onnx` of a bundle). */
  static async fromOnnx(
    bytes: Uint8Array,
    shape: { config: EncoderConfig; pooledSize: number; gridPositions: number; gridChannels: number },
    options: OnnxSessionOptions = {},
  ): Promise<OnnxImageEncoder> {
    const { session, provider } = await createOnnxSession(bytes, options);
    return new OnnxImageEncoder(
      shape.config,
      shape.pooledSize,
      shape.gridPositions,
      shape.gridChannels,
      provider,
      session,
    );
  }

  /** Encodes `n` images given as [n, S, S, 3] normalised floats; `grid: false` skips copying the grid out. */
  async encode(images: Float32Array, n: number, options: { grid?: boolean } = {}): Promise<EncodedImages> {
    const S = this.config.imageSize;
    if (images.length !== n * S * S * 3)
      throw new InvalidInputError(`encode: expected ${n}x${S}x${S}x3 values, got ${images.length}`);
    const wantGrid = options.grid ?? true;
    const feeds = { [ONNX_ENCODER_INPUT]: new ort.Tensor('float32', images, [n, S, S, 3]) };
    const outputs = await this.session.run(
      feeds,
      wantGrid ? [ONNX_POOLED_OUTPUT, ONNX_GRID_OUTPUT] : [ONNX_POOLED_OUTPUT],
    );
    // CPU outputs are plain typed arrays owned by JS: nothing native to release.
    return {
      pooled: outputs[ONNX_POOLED_OUTPUT].data as Float32Array,
      grid: wantGrid ? (outputs[ONNX_GRID_OUTPUT].data as Float32Array) : new Float32Array(0),
    };
  }

  /** Releases the native session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

import * as ort from 'onnxruntime-web/wasm';
import { InvalidInputError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';
import type { EncodedImages } from '../encoder/image-encoder';
import { ONNX_ENCODER_INPUT, ONNX_GRID_OUTPUT, ONNX_POOLED_OUTPUT } from './io-names';

/*
 * The browser's ONNX encoder: a bundle's `encoder.onnx` run by onnxruntime-web on its WebAssembly backend
 * (CPU, SIMD; threads only on cross-origin-isolated pages). The same inputs and outputs as ImageEncoder and
 * the Node OnnxImageEncoder. Browser-safe: imported by browser.ts only, never by the Node entry.
 */

export interface OnnxWebOptions {
  /**
   * Where onnxruntime-web fetches `ort-wasm-simd-threaded.wasm` (a URL prefix ending in `/`). Default:
   * onnxruntime-web's own, next to the script that imports it; `npm run build:browser` copies the file
   * next to `captioner-model.browser.js`.
   */
  wasmPaths?: string;
}

export class OnnxWebEncoder {
  readonly engine = 'onnx (wasm)' as const;

  private constructor(
    readonly config: EncoderConfig,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Opens a session on the ONNX bytes of an encoder configured as `config`. */
  static async create(
    bytes: Uint8Array,
    config: EncoderConfig,
    options: OnnxWebOptions = {},
  ): Promise<OnnxWebEncoder> {
    if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    return new OnnxWebEncoder(config, session);
  }

  /** Encodes `n` images given as [n, S, S, 3] normalised floats, as ImageEncoder.encode. */
  async encode(images: Float32Array, n: number): Promise<EncodedImages> {
    const S = this.config.imageSize;
    if (images.length !== n * S * S * 3)
      throw new InvalidInputError(`encode: expected ${n}x${S}x${S}x3 values, got ${images.length}`);
    const outputs = await this.session.run({
      [ONNX_ENCODER_INPUT]: new ort.Tensor('float32', images, [n, S, S, 3]),
    });
    return {
      pooled: outputs[ONNX_POOLED_OUTPUT].data as Float32Array,
      grid: outputs[ONNX_GRID_OUTPUT].data as Float32Array,
    };
  }

  dispose(): void {
    void this.session.release();
  }
}

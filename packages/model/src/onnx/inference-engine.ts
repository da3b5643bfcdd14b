import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ConfigError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';
import type { EncodedImages, ImageEncoder } from '../encoder/image-encoder';
import { OnnxImageEncoder } from './onnx-encoder';

/*
 * Which engine runs a frozen encoder for inference (extract stage, caption, evaluation): ONNX Runtime when
 * it loads, tfjs otherwise; CAPTIONER_INFERENCE=onnx|tfjs forces one. Training and fine-tuning stay on tfjs.
 * ONNX sessions are cached per process (one per encoder directory) and released by releaseInferenceSessions.
 */

/** What encodes images for inference: an ImageEncoder (tfjs) or an OnnxImageEncoder. */
export interface FeatureEncoder {
  readonly config: EncoderConfig;
  readonly pooledSize: number;
  readonly gridPositions: number;
  readonly gridChannels: number;
  encode(images: Float32Array, n: number): Promise<EncodedImages>;
}

const inferenceSettingSchema = z.enum(['auto', 'onnx', 'tfjs']);
export type InferenceSetting = z.infer<typeof inferenceSettingSchema>;

/** CAPTIONER_INFERENCE, `auto` when unset. */
export function inferenceSetting(env: NodeJS.ProcessEnv = process.env): InferenceSetting {
  const parsed = inferenceSettingSchema.safeParse(env.CAPTIONER_INFERENCE || 'auto');
  if (!parsed.success)
    throw new ConfigError(`CAPTIONER_INFERENCE must be onnx, tfjs or auto, got '${env.CAPTIONER_INFERENCE}'`);
  return parsed.data;
}

/**
 * True when onnxruntime-node's CUDA provider library is installed next to its CPU library (its install
 * script puts it there with `--onnxruntime-node-install=cuda12`; the npm package alone has none).
 */
export function onnxCudaInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const lib = path.join(
      path.dirname(require.resolve('onnxruntime-node')),
      '..',
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    return fs.existsSync(path.join(lib, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

const sessions = new Map<string, Promise<OnnxImageEncoder>>();

/**
 * The encoder that runs inference for `encoder`, with the name of its engine ('onnx (cpu)', 'onnx (cuda)',
 * 'tfjs'). `key` identifies the weights (the encoder's directory): the ONNX session for a key is made once
 * per process. In `auto`, an ONNX failure falls back to tfjs with a warning.
 */
export async function inferenceEncoder(
  encoder: ImageEncoder,
  key: string,
  options: { onWarning?: (message: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<{ encoder: FeatureEncoder; engine: string }> {
  const setting = inferenceSetting(options.env);
  if (setting === 'tfjs') return { encoder, engine: 'tfjs' };
  let session = sessions.get(key);
  if (!session) {
    session = OnnxImageEncoder.fromImageEncoder(encoder, {
      cuda: onnxCudaInstalled(),
      onWarning: options.onWarning,
    });
    sessions.set(key, session);
  }
  try {
    const onnx = await session;
    return { encoder: onnx, engine: `onnx (${onnx.provider})` };
  } catch (error) {
    sessions.delete(key);
    if (setting === 'onnx') throw error;
    options.onWarning?.(
      `ONNX Runtime unavailable (${(error as Error).message.split('\n')[0]}); encoding with tfjs`,
    );
    return { encoder, engine: 'tfjs' };
  }
}

/** Releases every ONNX session of this process (worker shutdown, end of a CLI command). */
export async function releaseInferenceSessions(): Promise<void> {
  const pending = [...sessions.values()];
  sessions.clear();
  await Promise.allSettled(pending.map(async (s) => (await s).dispose()));
}

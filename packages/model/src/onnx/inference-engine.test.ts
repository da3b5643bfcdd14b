import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@captioner/core';
import { initBackend } from '@captioner/tfjs-backend';
import { encoderConfigSchema } from '../config';
import { createEncoder } from '../encoder/encoder-files';
import type { ImageEncoder } from '../encoder/image-encoder';
import { inferenceEncoder, inferenceSetting, releaseInferenceSessions } from './inference-engine';
import { OnnxImageEncoder } from './onnx-encoder';

let tfjs: ImageEncoder;
beforeAll(async () => {
  await initBackend('wasm');
  tfjs = await createEncoder(encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 32 }), 4);
});
afterAll(async () => {
  await releaseInferenceSessions();
  tfjs.dispose();
});

describe('inference engine choice', () => {
  it('reads CAPTIONER_INFERENCE and refuses an unknown engine by name', () => {
    expect(inferenceSetting({})).toBe('auto');
    expect(inferenceSetting({ CAPTIONER_INFERENCE: 'tfjs' })).toBe('tfjs');
    expect(() => inferenceSetting({ CAPTIONER_INFERENCE: 'torch' })).toThrow(ConfigError);
    expect(() => inferenceSetting({ CAPTIONER_INFERENCE: 'torch' })).toThrow(/CAPTIONER_INFERENCE.*torch/);
  });

  it('runs on ONNX Runtime by default, one session per key, and on tfjs when forced', async () => {
    const a = await inferenceEncoder(tfjs, 'run-a', { env: {} });
    const again = await inferenceEncoder(tfjs, 'run-a', { env: { CAPTIONER_INFERENCE: 'onnx' } });
    expect(a.engine).toBe('onnx (cpu)');
    expect(a.encoder).toBeInstanceOf(OnnxImageEncoder);
    expect(again.encoder).toBe(a.encoder);
    const forced = await inferenceEncoder(tfjs, 'run-a', { env: { CAPTIONER_INFERENCE: 'tfjs' } });
    expect(forced).toEqual({ encoder: tfjs, engine: 'tfjs' });
    const pixels = new Float32Array(32 * 32 * 3).map((_, i) => Math.sin(i));
    const [x, y] = [await a.encoder.encode(pixels, 1), await forced.encoder.encode(pixels, 1)];
    expect(x.pooled).toHaveLength(y.pooled.length);
    x.pooled.forEach((v, i) => expect(v).toBeCloseTo(y.pooled[i], 4));
    await releaseInferenceSessions();
    const fresh = await inferenceEncoder(tfjs, 'run-a', { env: {} });
    expect(fresh.encoder).not.toBe(a.encoder);
  });
});

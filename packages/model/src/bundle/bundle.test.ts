import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CorruptArtifactError, NotFoundError } from '@captioner/core';
import { initBackend } from '@captioner/tfjs-backend';
import { decoderToArrays } from '../caption-model';
import { loadCaptionModel } from '../load-caption-model';
import { writeCheckpointDir } from '../checkpoint/checkpoint-dir';
import { encoderConfigSchema, modelConfigSchema } from '../config';
import { createDecoderParams, identityFeatureNorm } from '../decoder/params';
import { createEncoder, saveEncoder } from '../encoder/encoder-files';
import { SeededRandom } from '@captioner/core/random';
import { exportModelBundle } from './export-bundle';
import { loadModelBundle } from './load-bundle';
import { sha256Hex } from '../io/artifact-reader';
import { OnnxImageEncoder } from '../onnx/onnx-encoder';

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function makeBundle(
  onnx = false,
): Promise<{ bundleDir: string; checkpointDir: string; images: Float32Array }> {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-bundle-'));
  const config = modelConfigSchema.parse({
    encoder: encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 32 }),
    decoder: { embeddingSize: 16, hiddenSize: 24, attentionSize: 8 },
  });
  const encoder = await createEncoder(config.encoder, 5);
  await saveEncoder(encoder, path.join(root, 'encoder'));
  const featureShape = {
    pooledSize: encoder.pooledSize,
    gridPositions: encoder.gridPositions,
    gridChannels: encoder.gridChannels,
  };
  const spec = { decoder: config.decoder, featureShape, vocabSize: 20 };
  const params = createDecoderParams(spec, 3);
  const norm = identityFeatureNorm(featureShape);
  const checkpointDir = path.join(root, 'checkpoints', 'step-00000010');
  await writeCheckpointDir(
    checkpointDir,
    { modelConfig: config, featureShape, vocabSize: 20, step: 10, epoch: 1, training: {} },
    decoderToArrays(params, norm),
  );
  tf.dispose([...Object.values(params), ...Object.values(norm)]);
  encoder.dispose();
  const bundleDir = path.join(root, 'bundle');
  await exportModelBundle({
    outDir: bundleDir,
    encoderDir: path.join(root, 'encoder'),
    checkpointDir,
    extras: { vocabulary: { words: ['a', 'b'] }, preprocessing: { imageSize: 32 } },
    onnx,
  });
  const random = new SeededRandom(1);
  return {
    bundleDir,
    checkpointDir,
    images: Float32Array.from({ length: 2 * 32 * 32 * 3 }, () => random.next()),
  };
}

describe('model bundle', () => {
  it('exports and loads back the same encoder, decoder, vocabulary and preprocessing', async () => {
    const { bundleDir, checkpointDir, images } = await makeBundle();
    const before = tf.memory().numTensors;
    const bundle = await loadModelBundle(bundleDir);
    expect(bundle.vocabulary).toEqual({ words: ['a', 'b'] });
    expect(bundle.preprocessing).toEqual({ imageSize: 32 });
    expect(bundle.config.encoder.kind).toBe('small-resnet');
    const features = await bundle.encoder.encode(images, 2);
    const fromBundle = await bundle.captioner.decode({ ...features, count: 2 }, { beamSize: 2 });
    const direct = await loadCaptionModel(checkpointDir);
    expect(fromBundle).toEqual(await direct.decode({ ...features, count: 2 }, { beamSize: 2 }));
    expect(fromBundle.every((c) => c.length > 0)).toBe(true);
    direct.dispose();
    bundle.encoder.dispose();
    bundle.captioner.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with onnx, carries encoder.onnx (checksummed) that ONNX Runtime runs to the bundled encoder features', async () => {
    const { bundleDir, images } = await makeBundle(true);
    const bytes = new Uint8Array(await fs.readFile(path.join(bundleDir, 'encoder.onnx')));
    const bundle = await loadModelBundle(bundleDir);
    const manifest = JSON.parse(await fs.readFile(path.join(bundleDir, 'bundle.json'), 'utf8')) as {
      files: Record<string, string>;
    };
    expect(manifest.files['encoder.onnx']).toBe(await sha256Hex(bytes));
    const onnx = await OnnxImageEncoder.fromOnnx(bytes, bundle.encoder, { threads: 1 });
    const [expected, actual] = [await bundle.encoder.encode(images, 2), await onnx.encode(images, 2)];
    actual.pooled.forEach((v, i) => expect(v).toBeCloseTo(expected.pooled[i], 4));
    await onnx.dispose();
    bundle.encoder.dispose();
    bundle.captioner.dispose();
  });

  it('loads over HTTP (as a browser would fetch it)', async () => {
    const { bundleDir } = await makeBundle();
    const server = http.createServer((req, res) => {
      fs.readFile(path.join(bundleDir, decodeURIComponent(req.url ?? '/'))).then(
        (body) => res.end(body),
        () => {
          res.statusCode = 404;
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const bundle = await loadModelBundle(`http://127.0.0.1:${port}/`);
      expect(bundle.encoder.gridPositions).toBe(16);
      bundle.encoder.dispose();
      bundle.captioner.dispose();
      await expect(loadModelBundle(`http://127.0.0.1:${port}/missing/`)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    } finally {
      server.close();
    }
  });

  it('gives clear errors for a missing or corrupt bundle', async () => {
    const { bundleDir } = await makeBundle();
    await expect(loadModelBundle(path.join(root, 'nothing-here'))).rejects.toBeInstanceOf(NotFoundError);
    const weights = path.join(bundleDir, 'decoder', 'weights.bin');
    const bytes = await fs.readFile(weights);
    bytes[100] ^= 0xff;
    await fs.writeFile(weights, bytes);
    await expect(loadModelBundle(bundleDir)).rejects.toThrow(CorruptArtifactError);
    await expect(loadModelBundle(bundleDir)).rejects.toThrow(/decoder\/weights.bin: checksum mismatch/);
    await fs.writeFile(path.join(bundleDir, 'bundle.json'), '{"format":"something-else"}');
    await expect(loadModelBundle(bundleDir)).rejects.toThrow(/not a Captioner model bundle/);
    await fs.rm(path.join(bundleDir, 'vocabulary.json'));
    await fs.writeFile(path.join(bundleDir, 'bundle.json'), 'not json');
    await expect(loadModelBundle(bundleDir)).rejects.toBeInstanceOf(CorruptArtifactError);
  });
});

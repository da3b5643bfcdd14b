import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { loadBundle, parsePreprocessing, parseVocabulary } from './browser';
import { buildBrowserBundle, BROWSER_ENTRY, PACKAGE_DIR } from './browser-build';
import { decoderToArrays } from './caption-model';
import { writeCheckpointDir } from './checkpoint/checkpoint-dir';
import { encoderConfigSchema, modelConfigSchema } from './config';
import { createDecoderParams, identityFeatureNorm } from './decoder/params';
import { createEncoder, saveEncoder } from './encoder/encoder-files';
import { exportModelBundle } from './bundle/export-bundle';
import { loadModelBundle } from './bundle/load-bundle';
import { SeededRandom } from './random';

// Node-side checks of the browser entry; browser.test.ts runs it in Chromium.

describe('browser build', () => {
  it('bundles the entry without Node builtins, pino or the core index', async () => {
    const result = await buildBrowserBundle({ write: false, sourcemap: false });
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.some((i) => i.endsWith('src/browser.ts'))).toBe(true);
    expect(
      inputs.filter((i) =>
        /^node:|pino|core\/src\/(index|logger|config|files)\.ts|checkpoint-dir|encoder-files|artifact-reader/.test(
          i,
        ),
      ),
    ).toEqual([]);
  });

  it('fails when a Node builtin is imported', async () => {
    const stdin = {
      contents: `import fs from 'node:fs';\nimport ${JSON.stringify(BROWSER_ENTRY)};\nconsole.log(fs);\n`,
      resolveDir: PACKAGE_DIR,
      loader: 'ts' as const,
    };
    await expect(buildBrowserBundle({ write: false, entryPoints: undefined, stdin })).rejects.toThrow(
      /Could not resolve "node:fs"/,
    );
  });
});

describe('browser entry in Node', () => {
  let root: string | undefined;
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('loads a bundle over HTTP with the same encoder features and captions as loadModelBundle', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-browser-entry-'));
    const config = modelConfigSchema.parse({
      encoder: encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 32 }),
      decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 4 },
    });
    const encoder = await createEncoder(config.encoder, 7);
    await saveEncoder(encoder, path.join(root, 'encoder'));
    const featureShape = {
      pooledSize: encoder.pooledSize,
      gridPositions: encoder.gridPositions,
      gridChannels: encoder.gridChannels,
    };
    const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'b', 'c', 'd'];
    const params = createDecoderParams({ decoder: config.decoder, featureShape, vocabSize: words.length }, 4);
    const norm = identityFeatureNorm(featureShape);
    await writeCheckpointDir(
      path.join(root, 'ckpt'),
      { modelConfig: config, featureShape, vocabSize: words.length, step: 1, epoch: 1, training: {} },
      decoderToArrays(params, norm),
    );
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
    encoder.dispose();
    const bundleDir = path.join(root, 'bundle');
    await exportModelBundle({
      outDir: bundleDir,
      encoderDir: path.join(root, 'encoder'),
      checkpointDir: path.join(root, 'ckpt'),
      extras: { vocabulary: { words }, preprocessing: {} },
    });
    const server = http.createServer((req, res) => {
      fs.readFile(path.join(bundleDir, decodeURIComponent(req.url ?? '/'))).then(
        (body) => res.end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const before = tf.memory().numTensors;
      const inBrowserCode = await loadBundle(`http://127.0.0.1:${port}/`);
      const inNode = await loadModelBundle(bundleDir);
      expect(inBrowserCode.preprocessing).toEqual({
        imageSize: 32,
        resizeShorterTo: 37,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      });
      const random = new SeededRandom(2);
      const image = Float32Array.from({ length: 32 * 32 * 3 }, () => random.next() * 2 - 1);
      const a = await inBrowserCode.encoder.encode(image, 1);
      const b = await inNode.encoder.encode(image, 1);
      expect(a).toEqual(b);
      for (const beamSize of [1, 3]) {
        const features = { pooled: a.pooled, grid: a.grid, count: 1 };
        expect(await inBrowserCode.captioner.decode(features, { beamSize })).toEqual(
          await inNode.captioner.decode(features, { beamSize }),
        );
      }
      inBrowserCode.dispose();
      inNode.encoder.dispose();
      inNode.captioner.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      server.close();
    }
  });

  it('reads vocabulary and preprocessing as @captioner/dataset and @captioner/preprocessing write them', () => {
    const vocabulary = parseVocabulary(
      {
        formatVersion: 1,
        minCount: 1,
        maxLength: 4,
        words: ['<pad>', '<start>', '<end>', '<unk>', 'dog', 'runs'],
        counts: [0, 0, 0, 0, 2, 1],
      },
      6,
    );
    expect(vocabulary.decode([4, 3, 5, 2, 4])).toBe('dog runs');
    expect(() => parseVocabulary({ words: ['a'] })).toThrow(/must start with <pad>/);
    expect(() => parseVocabulary({ words: ['<pad>', '<start>', '<end>', '<unk>'] }, 9)).toThrow(
      /4 words, the decoder 9 outputs/,
    );
    expect(parsePreprocessing({ imageSize: 224 }, 224).resizeShorterTo).toBe(256);
    expect(() => parsePreprocessing({ imageSize: 64 }, 32)).toThrow(
      /imageSize 64 is not the encoder's input size 32/,
    );
    expect(() => parsePreprocessing({ resizeShorterTo: 16 }, 32)).toThrow(/resizeShorterTo 16 is below/);
  });
});

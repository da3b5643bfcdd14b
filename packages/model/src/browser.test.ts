/**
 * The browser entry in a real browser: Debian's Chromium (headless shell) driven over CDP by playwright-core.
 * Random model bundles, the browser build (built here with esbuild, never a stale dist/) and the example page
 * are served from 127.0.0.1; the page's captions must equal Node's (loadModelBundle + CaptionModel.decode).
 * The bundles: a small-resnet, and torchvision's ResNet-18 (explicit padding, max-pool padding, no conv
 * bias, eval batch norm with random statistics) both frozen and fine-tuned (trained weights in the checkpoint).
 *
 * Backend: `cpu` on both sides. tfjs' cpu backend is plain JavaScript, so Chromium's V8 and Node's compute
 * the same float32 results and tokens can be compared exactly (Node's default, wasm, rounds differently).
 *
 * No Chromium: the test fails when CI=true (one line saying what to install), otherwise it is skipped.
 * CAPTIONER_CHROMIUM overrides the binary.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/tfjs-backend';
import { buildBrowserBundle, ORT_WASM_FILE, PACKAGE_DIR } from './browser-build';
import { decoderToArrays } from './caption-model';
import { writeCheckpointDir } from './checkpoint/checkpoint-dir';
import { encoderConfigSchema, modelConfigSchema } from './config';
import type { EncoderConfig } from './config';
import type { NamedArrays } from './checkpoint/checkpoint-dir';
import { encoderTrainableVariables, encoderWeightName } from './checkpoint/encoder-weights';
import { computeFeatureNorm, createDecoderParams, identityFeatureNorm } from './decoder/params';
import { createEncoder, loadEncoder, saveEncoder } from './encoder/encoder-files';
import type { ImageEncoder } from './encoder/image-encoder';
import { exportModelBundle } from './bundle/export-bundle';
import { loadModelBundle } from './bundle/load-bundle';
import type { ModelBundle } from './bundle/read-bundle';
import type * as BrowserEntry from './browser';
import { SeededRandom } from '@captioner/core/random';

const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/chromium-browser',
];
const INSTALL_HINT =
  'apt-get install chromium-headless-shell (Debian), or set CAPTIONER_CHROMIUM to a Chromium/Chrome binary';

/** The Chromium binary to drive, or why there is none. */
function findChromium(): { path?: string; missing: string } {
  const override = process.env.CAPTIONER_CHROMIUM;
  if (override)
    return existsSync(override)
      ? { path: override, missing: '' }
      : { missing: `CAPTIONER_CHROMIUM=${override} does not exist: ${INSTALL_HINT}` };
  return {
    path: CHROMIUM_CANDIDATES.find((file) => existsSync(file)),
    missing: `no Chromium for the browser test: ${INSTALL_HINT}`,
  };
}

const S = 32;
const WORDS = [
  '<pad>',
  '<start>',
  '<end>',
  '<unk>',
  'a',
  'dog',
  'cat',
  'on',
  'the',
  'grass',
  'red',
  'ball',
  'with',
  'in',
  'two',
  'man',
  'sits',
  'runs',
  'near',
  'tree',
];
/** preprocessing.json of a bundle whose encoder takes `size` px (no resampling: resizeShorterTo = imageSize). */
function preprocessingFor(size: number) {
  return { imageSize: size, resizeShorterTo: size, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
}
const PREPROCESSING = preprocessingFor(S);

/** One bundle the browser must caption as Node does. */
interface BundleSpec {
  /** Its directory under the test's root and its URL path (`/<name>/`). */
  name: string;
  label: string;
  encoder: Pick<EncoderConfig, 'kind' | 'imageSize'> &
    Partial<Pick<EncoderConfig, 'trainable' | 'trainableBlocks' | 'cellHead'>>;
  /**
   * Random batch-norm parameters and running statistics (He initialisation leaves every batch norm the
   * identity), and feature statistics fitted on a few other images as training fits them: these features
   * are large (tens) and alike for noise images, so with identity statistics every image gets one caption.
   */
  torchvisionLike?: boolean;
  /**
   * Fine-tuned: after the run's encoder is saved, its trainable variables (encoderTrainableVariables) change
   * and the checkpoint holds them as `encoder/*`, as fine-tuning leaves them; the export must bundle those.
   */
  fineTune?: boolean;
}

/** 40 px: ResNet-18's maps are 20, 10, 10, 5, 3 and 2 px (a 2x2 grid): odd sizes into stride-2 layers. */
const TV_S = 40;
const BUNDLES: BundleSpec[] = [
  { name: 'bundle', label: 'small-resnet', encoder: { kind: 'small-resnet', imageSize: S } },
  {
    // A 4x4 map into 3x3 cells (rows and columns of 1, 2, 1 positions), softmax over 7 classes.
    name: 'cell-head',
    label: 'small-resnet with a cell head',
    encoder: { kind: 'small-resnet', imageSize: S, cellHead: { grid: 3, classes: 7 } },
  },
  {
    name: 'resnet18',
    label: 'resnet18 (frozen)',
    encoder: { kind: 'resnet18', imageSize: TV_S },
    torchvisionLike: true,
  },
  {
    name: 'resnet18-tuned',
    label: 'resnet18 (fine-tuned, last 2 blocks)',
    encoder: { kind: 'resnet18', imageSize: TV_S, trainable: true, trainableBlocks: 2 },
    torchvisionLike: true,
    fineTune: true,
  },
];

/** Deterministic RGB bytes (HWC). */
function pixels(width: number, height: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random.next() * 256));
}

/** The trainer's normalisation (normalizeImages of @captioner/dataset). */
function normalize(rgb: Uint8Array): Float32Array {
  const { mean, std } = PREPROCESSING;
  return Float32Array.from(rgb, (v, i) => (v / 255 - mean[i % 3]) / std[i % 3]);
}

/** A minimal 8-bit RGB PNG (no colour profile: browsers take it as sRGB and draw it unchanged). */
function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The columns `left`..`left+size` of an RGB image. */
function cropColumns(rgb: Uint8Array, width: number, height: number, left: number, size: number): Uint8Array {
  const out = new Uint8Array(size * height * 3);
  for (let y = 0; y < height; y++)
    out.set(rgb.subarray((y * width + left) * 3, (y * width + left + size) * 3), y * size * 3);
  return out;
}

/** Gives every batch norm random gamma, beta, running mean and running variance (as onnx-parity.test.ts does). */
function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  const random = new SeededRandom(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    // [gamma, beta, moving_mean, moving_variance]: scales and variances in [0.5, 1.5), shifts in [-0.5, 0.5).
    const values = layer.getWeights().map((w, i) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => (i === 0 || i === 3 ? 0.5 : -0.5) + random.next()),
        w.shape,
      ),
    );
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/**
 * What fine-tuning does to the encoder, in short: its trainable variables change (each kernel's output
 * channels scaled by factors in [0.5, 1.5), gammas and betas shifted by [-0.5, 0.5)); returns them under
 * their checkpoint names.
 */
function fineTuneEncoder(encoder: ImageEncoder, seed: number): NamedArrays {
  const random = new SeededRandom(seed);
  const out: NamedArrays = {};
  for (const [name, variable] of Object.entries(encoderTrainableVariables(encoder))) {
    const data = Float32Array.from(variable.dataSync());
    // Kernels are [kh, kw, in, out]: one factor per output channel (millions of values, few random draws).
    const channels = variable.shape[variable.shape.length - 1];
    const change = Float32Array.from({ length: channels }, () => random.next());
    if (name.endsWith('/kernel')) for (let i = 0; i < data.length; i++) data[i] *= 0.5 + change[i % channels];
    else for (let i = 0; i < data.length; i++) data[i] += change[i] - 0.5;
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
    out[name] = { shape: variable.shape, data };
  }
  return out;
}

/**
 * Exports the bundle `spec` under `root`: the run's encoder as saved at its start (`<name>-encoder`), a
 * checkpoint with random decoder weights (and the fine-tuned encoder weights), then the bundle with
 * `encoder.onnx`. For a fine-tuned spec also returns the encoder as trained, still in memory.
 */
async function makeBundle(
  root: string,
  spec: BundleSpec,
): Promise<{ dir: string; encoderDir: string; trained?: ImageEncoder; trainedWeights?: NamedArrays }> {
  const config = modelConfigSchema.parse({
    encoder: encoderConfigSchema.parse(spec.encoder),
    decoder: { embeddingSize: 16, hiddenSize: 24, attentionSize: 8, maxLength: 12 },
  });
  const encoder = await createEncoder(config.encoder, 5);
  if (spec.torchvisionLike) randomizeBatchNorm(encoder.model, 6);
  const encoderDir = path.join(root, `${spec.name}-encoder`);
  await saveEncoder(encoder, encoderDir);
  const trainedWeights = spec.fineTune ? fineTuneEncoder(encoder, 7) : undefined;
  const featureShape = {
    pooledSize: encoder.pooledSize,
    gridPositions: encoder.gridPositions,
    gridChannels: encoder.gridChannels,
  };
  const vocabSize = WORDS.length;
  const params = createDecoderParams({ decoder: config.decoder, featureShape, vocabSize }, 3);
  let norm = identityFeatureNorm(featureShape);
  if (spec.torchvisionLike) {
    tf.dispose(Object.values(norm));
    const size = config.encoder.imageSize;
    const others = new Float32Array(4 * size * size * 3);
    for (let k = 0; k < 4; k++) others.set(normalize(pixels(size, size, 41 + k)), k * size * size * 3);
    const features = await encoder.encode(others, 4);
    norm = computeFeatureNorm(featureShape, features.pooled, features.grid);
  }
  const checkpointDir = path.join(root, `${spec.name}-checkpoint`);
  await writeCheckpointDir(
    checkpointDir,
    { modelConfig: config, featureShape, vocabSize, step: 10, epoch: 1, training: {} },
    { ...decoderToArrays(params, norm), ...trainedWeights },
  );
  tf.dispose([...Object.values(params), ...Object.values(norm)]);
  if (!trainedWeights) encoder.dispose();
  const dir = path.join(root, spec.name);
  const vocabulary = {
    formatVersion: 1,
    minCount: 1,
    maxLength: 12,
    words: WORDS,
    counts: WORDS.map((_, i) => (i < 4 ? 0 : 10)),
  };
  await exportModelBundle({
    outDir: dir,
    encoderDir,
    checkpointDir,
    extras: { vocabulary, preprocessing: preprocessingFor(config.encoder.imageSize) },
    onnx: true,
  });
  return trainedWeights ? { dir, encoderDir, trained: encoder, trainedWeights } : { dir, encoderDir };
}

interface NodeCaption {
  tokens: number[];
  words: string[];
}

/** Node's greedy and beam-3 captions of one normalised image, and its pooled features: the reference the page must match. */
async function nodeCaptions(
  bundle: ModelBundle,
  image: Float32Array,
): Promise<{ pooled: number[]; greedy: NodeCaption; beam: NodeCaption }> {
  const features = await bundle.encoder.encode(image, 1);
  const caption = async (beamSize: number) => {
    const [tokens] = await bundle.captioner.decode(
      { pooled: features.pooled, grid: features.grid, count: 1 },
      { beamSize },
    );
    return { tokens, words: tokens.filter((id) => id >= 4).map((id) => WORDS[id]) };
  };
  return { pooled: Array.from(features.pooled), greedy: await caption(1), beam: await caption(3) };
}

/** Serves `routes` (URL path prefix -> directory) and in-memory files on 127.0.0.1, random port. */
async function serve(
  files: Record<string, { body: Uint8Array | string; type: string }>,
  dirs: Record<string, string>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = files[urlPath];
    if (file) {
      res.writeHead(200, { 'content-type': file.type }).end(file.body);
      return;
    }
    const prefix = Object.keys(dirs).find((p) => urlPath.startsWith(p));
    const root = prefix && path.resolve(dirs[prefix]);
    const target = root && path.resolve(root, `.${urlPath.slice(prefix.length - 1)}`);
    try {
      if (!root || !target || !target.startsWith(`${root}${path.sep}`)) throw new Error('not served');
      res
        .writeHead(200, {
          'content-type': target.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        })
        .end(await fs.readFile(target));
    } catch {
      res.writeHead(404).end();
    }
  };
  // A request that fails before its own try (a malformed URL) still gets an answer.
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const { path: chromiumPath, missing } = findChromium();

if (!chromiumPath && process.env.CI === 'true') {
  describe('model bundle in a browser', () => {
    it('needs Chromium', () => {
      expect.fail(missing);
    });
  });
} else if (!chromiumPath) {
  console.warn(`[browser.test] skipped: ${missing}`);
  describe.skip(`model bundle in a browser (skipped: ${missing})`, () => {
    it('captions like Node', () => {});
  });
} else {
  describe('model bundle in a browser', () => {
    let root: string;
    let browser: Browser | undefined;
    let server: { url: string; close: () => Promise<void> } | undefined;
    /** Per bundle name: Node's copy of the bundle, the images to caption, and, fine-tuned, the encoder as trained. */
    const bundles = new Map<
      string,
      {
        node: ModelBundle;
        images: Float32Array[];
        encoderDir: string;
        trained?: ImageEncoder;
        trainedWeights?: NamedArrays;
      }
    >();
    let nodeBundle: ModelBundle | undefined;
    const pageErrors: string[] = [];
    const square = pixels(S, S, 21);
    const wide = pixels(S + 8, S, 22);

    beforeAll(async () => {
      await initBackend('cpu');
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-browser-'));
      const started = Date.now();
      const build = await buildBrowserBundle({
        write: false,
        sourcemap: false,
        outfile: path.join(root, 'captioner-model.browser.js'),
      });
      const code = build.outputFiles!.find((f) => f.path.endsWith('.js'))!.contents;
      const dirs: Record<string, string> = {};
      for (const spec of BUNDLES) {
        const { dir, ...made } = await makeBundle(root, spec);
        dirs[`/${spec.name}/`] = dir;
        const size = spec.encoder.imageSize;
        bundles.set(spec.name, {
          ...made,
          node: await loadModelBundle(dir),
          images: [normalize(pixels(size, size, 11)), normalize(pixels(size, size, 12))],
        });
      }
      nodeBundle = bundles.get('bundle')!.node;
      // A copy with one flipped byte in the decoder weights.
      const corruptDir = path.join(root, 'corrupt');
      await fs.cp(dirs['/bundle/'], corruptDir, { recursive: true });
      const weights = path.join(corruptDir, 'decoder', 'weights.bin');
      const bytes = await fs.readFile(weights);
      bytes[100] ^= 0xff;
      await fs.writeFile(weights, bytes);
      await fs.writeFile(path.join(root, 'square.png'), encodePng(S, S, square));
      server = await serve(
        {
          '/': {
            body: await fs.readFile(path.join(PACKAGE_DIR, 'examples', 'browser', 'index.html')),
            type: 'text/html',
          },
          '/captioner-model.browser.js': { body: code, type: 'text/javascript' },
          '/square.png': { body: encodePng(S, S, square), type: 'image/png' },
          '/wide.png': { body: encodePng(S + 8, S, wide), type: 'image/png' },
          [`/${ORT_WASM_FILE}`]: {
            body: await fs.readFile(
              createRequire(import.meta.url).resolve(`onnxruntime-web/${ORT_WASM_FILE}`),
            ),
            type: 'application/wasm',
          },
        },
        { ...dirs, '/corrupt/': corruptDir },
      );
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
      console.log(
        `[browser.test] Chromium ${browser.version()} ready in ${Date.now() - started} ms (build, bundles, launch)`,
      );
    });

    afterAll(async () => {
      for (const { node, trained } of bundles.values()) {
        node.encoder.dispose();
        node.captioner.dispose();
        trained?.dispose();
      }
      await browser?.close();
      await server?.close();
      if (root) await fs.rm(root, { recursive: true, force: true });
    });

    const references = new Map<string, ReturnType<typeof nodeCaptions>>();
    /** Node's captions of bundle `name`'s image `i`, computed once (both engines are compared with them). */
    function nodeReference(name: string, i: number): ReturnType<typeof nodeCaptions> {
      const key = `${name}/${i}`;
      if (!references.has(key)) {
        const { node, images } = bundles.get(name)!;
        references.set(key, nodeCaptions(node, images[i]));
      }
      return references.get(key)!;
    }

    async function openPage(query = ''): Promise<Page> {
      const page = await browser!.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        // 404s show as "Failed to load resource" (favicon, the missing-bundle case); a failed load throws anyway.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          pageErrors.push(message.text());
      });
      await page.goto(`${server!.url}/${query}`);
      await page.waitForFunction(() => 'captioner' in window);
      return page;
    }

    it.each(BUNDLES)(
      '$label: loads the bundle from its URL and captions normalised images as Node does (greedy and beam 3)',
      async ({ name, encoder }) => {
        const { images } = bundles.get(name)!;
        const page = await openPage();
        const inBrowser = await page.evaluate(
          async ({ url, images }) => {
            const c = (window as unknown as { captioner: typeof BrowserEntry }).captioner;
            await c.setBackend('cpu');
            const bundle = await c.loadBundle(url);
            const out = [];
            for (const values of images) {
              const image = new Float32Array(values);
              const features = await c.encodeImage(bundle, image);
              const greedy = await c.captionFeatures(bundle, features);
              const beam = await c.captionImage(bundle, image, { beamSize: 3 });
              out.push({ greedy, beam, pooled: Array.from(features.pooled) });
            }
            const tensorsBefore = c.tf.memory().numTensors;
            bundle.dispose();
            return {
              out,
              backend: c.tf.getBackend(),
              freed: tensorsBefore - c.tf.memory().numTensors,
              vocabulary: bundle.vocabulary.size,
              imageSize: bundle.preprocessing.imageSize,
              kind: bundle.config.encoder.kind,
            };
          },
          { url: `/${name}/`, images: images.map((image) => Array.from(image)) },
        );
        expect(inBrowser.backend).toBe('cpu');
        expect(inBrowser.kind).toBe(encoder.kind);
        expect(inBrowser.vocabulary).toBe(WORDS.length);
        expect(inBrowser.imageSize).toBe(encoder.imageSize);
        expect(inBrowser.freed).toBeGreaterThan(0);
        for (const i of images.keys()) {
          const { pooled, greedy, beam } = await nodeReference(name, i);
          expect(inBrowser.out[i].pooled).toEqual(pooled);
          expect(inBrowser.out[i].greedy.tokens).toEqual(greedy.tokens);
          expect(inBrowser.out[i].greedy.words).toEqual(greedy.words);
          expect(inBrowser.out[i].greedy.caption).toBe(greedy.words.join(' '));
          expect(inBrowser.out[i].beam.tokens).toEqual(beam.tokens);
          expect(inBrowser.out[i].beam.words).toEqual(beam.words);
          expect(greedy.tokens.length).toBeGreaterThan(0);
        }
        // Random weights: the two images should not collapse to one caption (else the comparison proves little).
        expect(inBrowser.out[0].beam.tokens).not.toEqual(inBrowser.out[1].beam.tokens);
        await page.close();
        expect(pageErrors).toEqual([]);
      },
    );

    // Not the frozen resnet18: its encoder.onnx is the fine-tuned one's architecture (same conversion), and
    // the fine-tuned one also shows that trained weights reach encoder.onnx; each run costs seconds.
    it.each(BUNDLES.filter((spec) => spec.name !== 'resnet18'))(
      "$label: runs the encoder on onnxruntime-web from the bundle's encoder.onnx and captions as Node does",
      async ({ name }) => {
        const { images } = bundles.get(name)!;
        const page = await openPage();
        const inBrowser = await page.evaluate(
          async ({ url, images }) => {
            const c = (window as unknown as { captioner: typeof BrowserEntry }).captioner;
            await c.setBackend('cpu');
            const bundle = await c.loadBundle(url, { encoderEngine: 'onnx' });
            const out = [];
            for (const values of images) {
              const image = new Float32Array(values);
              const features = await c.encodeImage(bundle, image);
              const greedy = await c.captionFeatures(bundle, features);
              const beam = await c.captionFeatures(bundle, features, { beamSize: 3 });
              out.push({ greedy: greedy.tokens, beam: beam.tokens, pooled: Array.from(features.pooled) });
            }
            bundle.dispose();
            return { out, engine: bundle.encoderEngine };
          },
          { url: `/${name}/`, images: images.map((image) => Array.from(image)) },
        );
        expect(inBrowser.engine).toBe('onnx (wasm)');
        for (const i of images.keys()) {
          const { pooled, greedy, beam } = await nodeReference(name, i);
          const scale = Math.max(...pooled.map(Math.abs));
          inBrowser.out[i].pooled.forEach((v, k) =>
            expect(Math.abs(v - pooled[k]) / scale).toBeLessThan(1e-4),
          );
          expect(inBrowser.out[i].greedy).toEqual(greedy.tokens);
          expect(inBrowser.out[i].beam).toEqual(beam.tokens);
        }
        await page.close();
        expect(pageErrors).toEqual([]);
      },
    );

    it("bundles the fine-tuned encoder's trained weights and the run's batch-norm statistics (what the pages above ran)", async () => {
      const { node, images, encoderDir, trained, trainedWeights } = bundles.get('resnet18-tuned')!;
      const bundled = new Map(node.encoder.model.weights.map((w) => [encoderWeightName(w), w]));
      // Two blocks of ResNet-18: 4 convs + the downsample conv, 5 batch norms with gamma and beta.
      expect(Object.keys(trainedWeights!)).toHaveLength(15);
      // Byte comparisons: vitest's deep equality takes seconds on a 2.4M-value kernel.
      const bytes = (values: ArrayLike<number>) => Buffer.from(Float32Array.from(values).buffer);
      const bundledBytes = (name: string) => bytes(bundled.get(name)!.read().dataSync());
      for (const [name, { data }] of Object.entries(trainedWeights!))
        expect(bundledBytes(name).equals(bytes(data)), name).toBe(true);
      // Running statistics are not trained: the export keeps the saved encoder's (random, not 0 and 1).
      const fresh = await loadEncoder(encoderDir);
      try {
        for (const w of fresh.model.weights.filter((w) => /moving_(mean|variance)$/.test(w.originalName))) {
          const values = w.read().dataSync();
          expect(bundledBytes(encoderWeightName(w)).equals(bytes(values)), w.originalName).toBe(true);
          expect(values.every((v) => v === 0 || v === 1)).toBe(false);
        }
        // The bundle computes what the trained encoder computes, not what a fresh load of the run's encoder does.
        const [fromBundle, fromTrained, fromFresh] = await Promise.all(
          [node.encoder, trained!, fresh].map((e) => e.encode(images[0], 1)),
        );
        expect(bytes(fromBundle.grid).equals(bytes(fromTrained.grid))).toBe(true);
        expect(bytes(fromBundle.pooled).equals(bytes(fromFresh.pooled))).toBe(false);
      } finally {
        fresh.dispose();
      }
    });

    it('decodes image files in the browser with the bundle preprocessing (centre crop, mean/std)', async () => {
      const page = await openPage();
      const inBrowser = await page.evaluate(async () => {
        const c = (window as unknown as { captioner: typeof BrowserEntry }).captioner;
        await c.setBackend('cpu');
        const bundle = await c.loadBundle('/bundle/');
        const out: Record<string, { pixels: number[]; greedy: number[]; beam: number[] }> = {};
        for (const name of ['square', 'wide']) {
          const image = new Image();
          image.src = `/${name}.png`;
          await image.decode();
          out[name] = {
            pixels: Array.from(c.imageToPixels(image, bundle.preprocessing)),
            greedy: (await c.captionImage(bundle, image)).tokens,
            beam: (await c.captionImage(bundle, image, { beamSize: 3 })).tokens,
          };
        }
        bundle.dispose();
        return out;
      });
      // resizeShorterTo = imageSize: no resampling, so the crop is exact: all of `square`, the middle of `wide`.
      const expected = { square, wide: cropColumns(wide, S + 8, S, 4, S) };
      for (const name of ['square', 'wide'] as const) {
        expect(inBrowser[name].pixels).toEqual(Array.from(expected[name]));
        const { greedy, beam } = await nodeCaptions(nodeBundle!, normalize(expected[name]));
        expect(inBrowser[name].greedy).toEqual(greedy.tokens);
        expect(inBrowser[name].beam).toEqual(beam.tokens);
      }
      await page.close();
      expect(pageErrors).toEqual([]);
    });

    it('drives the example page: load a bundle URL, pick an image file, read the captions', async () => {
      const page = await openPage('?bundle=/bundle/&backend=cpu');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Loaded'));
      expect(await page.textContent('#status')).toContain(`${WORDS.length} words`);
      await page.setInputFiles('#image', path.join(root, 'square.png'));
      await page.waitForFunction(
        () => !['', '…'].includes((document.getElementById('beam') as HTMLOutputElement).value),
      );
      const { greedy, beam } = await nodeCaptions(nodeBundle!, normalize(square));
      expect(await page.$eval('#greedy', (e) => (e as HTMLOutputElement).value)).toBe(greedy.words.join(' '));
      expect(await page.$eval('#beam', (e) => (e as HTMLOutputElement).value)).toBe(beam.words.join(' '));
      expect(await page.textContent('#error')).toBe('');
      await page.close();
    });

    it('reports a corrupted bundle file (checksum) and a missing bundle, naming the file', async () => {
      const page = await openPage('?bundle=/corrupt/&backend=cpu');
      await page.waitForFunction(() => document.getElementById('error')!.textContent !== '');
      expect(await page.textContent('#error')).toMatch(
        /^CorruptArtifactError: http:\/\/127\.0\.0\.1:\d+\/corrupt\/decoder\/weights\.bin: checksum mismatch/,
      );
      const missing = await page.evaluate(async () => {
        const c = (window as unknown as { captioner: typeof BrowserEntry }).captioner;
        try {
          await c.loadBundle('/nothing-here/');
          return 'loaded';
        } catch (error) {
          return `${(error as Error).name} ${(error as { code?: string }).code}: ${(error as Error).message}`;
        }
      });
      expect(missing).toMatch(
        /^NotFoundError not_found: http:\/\/127\.0\.0\.1:\d+\/nothing-here\/bundle\.json: HTTP 404/,
      );
      await page.close();
    });
  });
}

/**
 * `@captioner/model/browser`: load an exported model bundle from a URL and caption images in a web page.
 *
 * Build: `npm run build:browser -w @captioner/model` writes `dist/captioner-model.browser.js` (ESM, tfjs
 * included). Nothing reachable from this module imports Node modules or the logger: esbuild's browser
 * platform fails the build if one does. See "Loading a bundle in a browser" in the package README.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError, CorruptArtifactError, InvalidInputError, NotFoundError } from '@captioner/core/errors';
import type { CaptionModel } from './caption-model';
import type { ModelConfig } from './config';
import type { DecodeOptions } from './search/types';
import type { EncodedImages } from './encoder/image-encoder';
import { END_ID, SPECIAL_TOKENS, isSpecialToken } from '@captioner/core/special-tokens';
import { IMAGENET_MEAN, IMAGENET_STD } from '@captioner/core/imagenet';
import { fetchArtifact } from './io/fetch-artifact';
import type { BundleManifest } from './bundle/bundle-format';
import { readModelBundle } from './bundle/read-bundle';
import { OnnxWebEncoder } from './onnx/onnx-web-encoder';
import type { OnnxWebOptions } from './onnx/onnx-web-encoder';

export * as tf from '@tensorflow/tfjs';
export {
  CaptionerError,
  ConfigError,
  CorruptArtifactError,
  InvalidInputError,
  NotFoundError,
} from '@captioner/core/errors';
export { CaptionModel } from './caption-model';
export { ImageEncoder } from './encoder/image-encoder';
export { PAD_ID, START_ID, END_ID, UNK_ID } from '@captioner/core/special-tokens';
export { BUNDLE_FILE, BUNDLE_FORMAT, bundleManifestSchema } from './bundle/bundle-format';
export type { BundleManifest } from './bundle/bundle-format';
export type { ModelConfig } from './config';
export type { Beam, DecodeFeatures, DecodeOptions } from './search/types';
export type { EncodedImages } from './encoder/image-encoder';
export type { OnnxWebOptions } from './onnx/onnx-web-encoder';

/**
 * The part of `preprocessing.json` (PreprocessSettings of @captioner/preprocessing, settings.ts) that turns an
 * image into model input; the same defaults. Augmentation and file limits do not apply here.
 */
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);
const preprocessingJsonSchema = z.object({
  imageSize: z.number().int().positive().optional(),
  resizeShorterTo: z.number().int().positive().optional(),
  mean: rgbTriple.default(IMAGENET_MEAN),
  std: rgbTriple.refine((s) => s.every((v) => v > 0), 'std values must be positive').default(IMAGENET_STD),
});

/** How an image becomes the encoder's input: shorter side to `resizeShorterTo`, centre crop of `imageSize`, then `(x/255 - mean) / std`. */
export interface BundlePreprocessing {
  imageSize: number;
  resizeShorterTo: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** `vocabulary.json` (written by @captioner/dataset's `Vocabulary.toJSON`): `words[id]` is the word of id `id`. */
const vocabularyJsonSchema = z.object({ words: z.array(z.string()) });

/** Token ids to words, as `Vocabulary.decode` of @captioner/dataset does it. */
export class BundleVocabulary {
  constructor(readonly words: readonly string[]) {}

  get size(): number {
    return this.words.length;
  }

  /** Words of `ids` up to the first `<end>`; specials (`<unk>` included) and ids out of range dropped. */
  wordsOf(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === END_ID) break;
      if (isSpecialToken(id)) continue;
      const word = this.words[id];
      if (word !== undefined) out.push(word);
    }
    return out;
  }

  /** The caption of `ids`: its words joined by spaces. */
  decode(ids: ArrayLike<number>): string {
    return this.wordsOf(ids).join(' ');
  }
}

/** What encodes images in a page: the bundle's tfjs encoder, or its `encoder.onnx` on onnxruntime-web. */
export interface BrowserEncoder {
  encode(images: Float32Array, n: number): Promise<EncodedImages>;
  dispose(): void;
}

/** A bundle loaded in a page. */
export interface BrowserBundle {
  url: string;
  encoder: BrowserEncoder;
  /** Which engine runs the encoder: `tfjs` or `onnx (wasm)`. The decoder always runs on tfjs. */
  encoderEngine: 'tfjs' | 'onnx (wasm)';
  captioner: CaptionModel;
  vocabulary: BundleVocabulary;
  preprocessing: BundlePreprocessing;
  config: ModelConfig;
  manifest: BundleManifest;
  /** Frees the encoder's and the decoder's tensors. */
  dispose(): void;
}

export interface LoadBundleOptions {
  /** The fetch to read files with (default: the global one), e.g. to add credentials or headers. */
  fetch?: typeof fetch;
  /**
   * `onnx`: run the encoder with onnxruntime-web from the bundle's `encoder.onnx` (`captioner export
   * --onnx`; a bundle without it is refused); `tfjs` (default): with tfjs on the current backend.
   */
  encoderEngine?: 'tfjs' | 'onnx';
  /** onnxruntime-web settings for `encoderEngine: 'onnx'`. */
  onnx?: OnnxWebOptions;
}

/** Parses `vocabulary.json`; it must hold as many words as the decoder has outputs. */
export function parseVocabulary(json: unknown, vocabSize?: number): BundleVocabulary {
  const parsed = vocabularyJsonSchema.safeParse(json);
  if (!parsed.success)
    throw new CorruptArtifactError(
      `vocabulary.json: ${parsed.error.issues[0].path.join('.') || '(root)'}: ${parsed.error.issues[0].message}`,
    );
  const { words } = parsed.data;
  if (!SPECIAL_TOKENS.every((token, id) => words[id] === token))
    throw new CorruptArtifactError(`vocabulary.json: words must start with ${SPECIAL_TOKENS.join(', ')}`);
  if (vocabSize !== undefined && words.length !== vocabSize) {
    throw new CorruptArtifactError(
      `vocabulary.json holds ${words.length} words, the decoder ${vocabSize} outputs`,
    );
  }
  return new BundleVocabulary(words);
}

/** Parses `preprocessing.json` with the defaults of @captioner/preprocessing; `imageSize` must be the encoder's. */
export function parsePreprocessing(json: unknown, encoderImageSize: number): BundlePreprocessing {
  const parsed = preprocessingJsonSchema.safeParse(json ?? {});
  if (!parsed.success)
    throw new CorruptArtifactError(
      `preprocessing.json: ${parsed.error.issues[0].path.join('.') || '(root)'}: ${parsed.error.issues[0].message}`,
    );
  const p = parsed.data;
  const imageSize = p.imageSize ?? encoderImageSize;
  if (imageSize !== encoderImageSize)
    throw new CorruptArtifactError(
      `preprocessing.json: imageSize ${imageSize} is not the encoder's input size ${encoderImageSize}`,
    );
  const resizeShorterTo = p.resizeShorterTo ?? Math.round((imageSize * 256) / 224);
  if (resizeShorterTo < imageSize)
    throw new CorruptArtifactError(
      `preprocessing.json: resizeShorterTo ${resizeShorterTo} is below imageSize ${imageSize}`,
    );
  return { imageSize, resizeShorterTo, mean: p.mean, std: p.std };
}

/**
 * Selects the tfjs backend (`cpu`, `webgl`, or any backend registered with tfjs) and waits until it is ready.
 * Without a call tfjs picks its default (WebGL where available). `cpu` is slow but exact and deterministic.
 */
export async function setBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name)))
    throw new ConfigError(`tfjs backend '${name}' is not available in this browser`);
  await tf.ready();
}

/**
 * Loads a bundle from a URL (absolute, or relative to the page): fetches `bundle.json` and every file it
 * lists, verifies their SHA-256 (WebCrypto), builds the encoder and decoder. A missing file is a
 * NotFoundError, a damaged one a CorruptArtifactError naming it. Another origin must allow CORS.
 */
export async function loadBundle(url: string, options: LoadBundleOptions = {}): Promise<BrowserBundle> {
  const base = new URL(url, globalThis.location?.href).toString();
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const read = async (name: string) => {
    try {
      return await fetchArtifact(base, name, fetchImpl);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      // fetch rejects on network errors and on cross-origin answers without CORS headers.
      throw new NotFoundError(
        `${new URL(name, base.endsWith('/') ? base : `${base}/`)}: cannot be fetched (${(error as Error).message}; another origin must send CORS headers)`,
        { cause: error },
      );
    }
  };
  await tf.ready();
  // `base` names the bundle in error messages: `<url>/decoder/weights.bin: checksum mismatch`.
  const bundle = await readModelBundle(base.replace(/\/+$/, ''), read);
  try {
    const vocabulary = parseVocabulary(bundle.vocabulary, bundle.manifest.vocabSize);
    const preprocessing = parsePreprocessing(bundle.preprocessing, bundle.config.encoder.imageSize);
    let encoder: BrowserEncoder = bundle.encoder;
    if (options.encoderEngine === 'onnx') {
      if (!bundle.encoderOnnx)
        throw new NotFoundError(
          `${base}: the bundle has no encoder.onnx (export it with \`captioner export RUN --onnx\`)`,
        );
      encoder = await OnnxWebEncoder.create(bundle.encoderOnnx, bundle.config.encoder, options.onnx);
      // The tfjs copy is not needed any more.
      bundle.encoder.dispose();
    }
    return {
      url: base,
      encoder,
      encoderEngine: encoder instanceof OnnxWebEncoder ? encoder.engine : 'tfjs',
      captioner: bundle.captioner,
      vocabulary,
      preprocessing,
      config: bundle.config,
      manifest: bundle.manifest,
      dispose() {
        encoder.dispose();
        bundle.captioner.dispose();
      },
    };
  } catch (error) {
    bundle.encoder.dispose();
    bundle.captioner.dispose();
    throw error;
  }
}

/** uint8 RGB (3 values a pixel) or RGBA (4, alpha ignored), HWC -> float32 RGB `(x / 255 - mean) / std`, as the trainer's shards. */
export function normalizePixels(
  pixels: ArrayLike<number>,
  preprocessing: Pick<BundlePreprocessing, 'mean' | 'std'>,
  channels: 3 | 4 = 3,
): Float32Array {
  if (pixels.length % channels !== 0)
    throw new InvalidInputError(
      `normalizePixels: ${pixels.length} values are not whole ${channels}-channel pixels`,
    );
  const count = pixels.length / channels;
  const { mean, std } = preprocessing;
  const out = new Float32Array(count * 3);
  for (let p = 0; p < count; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = (pixels[p * channels + c] / 255 - mean[c]) / std[c];
  }
  return out;
}

/** What a page can caption: a decoded image, a canvas, a video frame, ImageData, or pixels already normalised. */
export type ImageInput =
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | ImageBitmap
  | OffscreenCanvas
  | Float32Array;

function sourceSize(source: Exclude<ImageInput, Float32Array | ImageData>): {
  width: number;
  height: number;
} {
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement)
    return { width: source.naturalWidth, height: source.naturalHeight };
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement)
    return { width: source.videoWidth, height: source.videoHeight };
  return { width: source.width, height: source.height };
}

function makeCanvas(width: number, height: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function context2d(
  canvas: OffscreenCanvas | HTMLCanvasElement,
): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    | CanvasRenderingContext2D
    | OffscreenCanvasRenderingContext2D
    | null;
  if (!context) throw new ConfigError('this browser gives no 2D canvas context');
  return context;
}

/**
 * The `imageSize` x `imageSize` RGB bytes (HWC) the encoder sees: the shorter side scaled to `resizeShorterTo`
 * and the centre square cut out (torchvision's Resize + CenterCrop, the geometry of @captioner/preprocessing),
 * transparent pixels on white. The browser's canvas resamples, not libvips: pixels can differ slightly from
 * the trainer's. Draws with the browser's EXIF orientation (`image-orientation: from-image`).
 */
export function imageToPixels(
  image: Exclude<ImageInput, Float32Array>,
  preprocessing: Pick<BundlePreprocessing, 'imageSize' | 'resizeShorterTo'>,
): Uint8Array {
  let source: Exclude<ImageInput, Float32Array | ImageData>;
  if (typeof ImageData !== 'undefined' && image instanceof ImageData) {
    const canvas = makeCanvas(image.width, image.height);
    context2d(canvas).putImageData(image, 0, 0);
    source = canvas;
  } else source = image as Exclude<ImageInput, Float32Array | ImageData>;
  const { width, height } = sourceSize(source);
  if (!(width > 0 && height > 0))
    throw new InvalidInputError(`image has no pixels (${width}x${height}); wait for it to load`);
  const { imageSize: size, resizeShorterTo } = preprocessing;
  // Same numbers as cropGeometry in @captioner/preprocessing (crop-geometry.ts).
  const shorter = Math.min(width, height);
  const longer = Math.max(width, height);
  const resizedLonger = Math.max(resizeShorterTo, Math.floor((resizeShorterTo * longer) / shorter));
  const resizedWidth = width <= height ? resizeShorterTo : resizedLonger;
  const resizedHeight = width <= height ? resizedLonger : resizeShorterTo;
  const left = Math.floor((resizedWidth - size) / 2);
  const top = Math.floor((resizedHeight - size) / 2);
  const sx = width / resizedWidth;
  const sy = height / resizedHeight;
  const canvas = makeCanvas(size, size);
  const context = context2d(canvas);
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size, size);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, left * sx, top * sy, size * sx, size * sy, 0, 0, size, size);
  const rgba = context.getImageData(0, 0, size, size).data;
  const rgb = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    rgb[p * 3] = rgba[p * 4];
    rgb[p * 3 + 1] = rgba[p * 4 + 1];
    rgb[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return rgb;
}

/** The encoder's input for one image: a Float32Array is taken as already normalised [S, S, 3]. */
export function imageToInput(bundle: Pick<BrowserBundle, 'preprocessing'>, image: ImageInput): Float32Array {
  if (image instanceof Float32Array) return image;
  return normalizePixels(imageToPixels(image, bundle.preprocessing), bundle.preprocessing);
}

/** Pooled and grid features of one image. */
export async function encodeImage(
  bundle: Pick<BrowserBundle, 'encoder' | 'preprocessing'>,
  image: ImageInput,
): Promise<EncodedImages> {
  return bundle.encoder.encode(imageToInput(bundle, image), 1);
}

export interface Caption {
  /** Word ids, no specials (never empty). */
  tokens: number[];
  words: string[];
  /** The words joined by spaces. */
  caption: string;
}

/**
 * Captions one image: greedy decoding by default, beam search with `beamSize` > 1 (`maxLength`,
 * `lengthPenalty` as `CaptionModel.decode`).
 */
export async function captionImage(
  bundle: BrowserBundle,
  image: ImageInput,
  options: DecodeOptions = {},
): Promise<Caption> {
  const features = await encodeImage(bundle, image);
  return captionFeatures(bundle, features, options);
}

/** Captions features from `encodeImage` (the grid is used when the decoder attends). */
export async function captionFeatures(
  bundle: Pick<BrowserBundle, 'captioner' | 'vocabulary'>,
  features: EncodedImages,
  options: DecodeOptions = {},
): Promise<Caption> {
  const attention = bundle.captioner.config.decoder.attention;
  const [tokens] = await bundle.captioner.decode(
    { pooled: features.pooled, grid: attention ? features.grid : undefined, count: 1 },
    options,
  );
  const words = bundle.vocabulary.wordsOf(tokens);
  return { tokens, words, caption: words.join(' ') };
}

import * as tf from '@tensorflow/tfjs';
import { CorruptArtifactError } from '@captioner/core/errors';
import { CaptionModel, decoderFromArrays } from '../caption-model';
import type { ModelConfig } from '../config';
import { ImageEncoder } from '../encoder/image-encoder';
import type { NamedArrays } from '../checkpoint/checkpoint-dir';
import { sha256Hex } from '../io/sha256';
import { BUNDLE_FILE, bundleManifestSchema } from './bundle-format';
import type { BundleManifest } from './bundle-format';

/*
 * The browser-safe core of bundle loading: parse `bundle.json`, verify every file's SHA-256 (WebCrypto),
 * build the encoder and the decoder. File reading is injected: the Node loader (load-bundle.ts) reads
 * directories or URLs, the browser entry (browser.ts) fetches URLs. Nothing reachable from here may
 * import Node modules.
 */

/** Reads one bundle file by its `/`-separated path relative to the bundle; a missing file is a NotFoundError. */
export type BundleFileReader = (name: string) => Promise<Uint8Array>;

/** A loaded bundle: `vocabulary` and `preprocessing` are the parsed JSON files, not checked here. */
export interface ModelBundle {
  encoder: ImageEncoder;
  captioner: CaptionModel;
  vocabulary: unknown;
  preprocessing: unknown;
  config: ModelConfig;
  manifest: BundleManifest;
  /** `encoder.onnx` when the bundle carries it (exported with `--onnx`), checksum verified. */
  encoderOnnx?: Uint8Array;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CorruptArtifactError(`${what} is not valid JSON`);
  }
}

/**
 * Loads a bundle written by `exportModelBundle`, verifying every file's checksum first. `location` only
 * names the bundle in error messages. A missing file is the reader's NotFoundError; a damaged one a
 * CorruptArtifactError naming it.
 */
export async function readModelBundle(location: string, read: BundleFileReader): Promise<ModelBundle> {
  const raw = parseJson(await read(BUNDLE_FILE), `${location}/${BUNDLE_FILE}`);
  const parsed = bundleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptArtifactError(
      `${location}/${BUNDLE_FILE} is not a Captioner model bundle (${issue.path.join('.')}: ${issue.message})`,
    );
  }
  const manifest = parsed.data;
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = await read(name);
    if ((await sha256Hex(bytes)) !== expected)
      throw new CorruptArtifactError(`${location}/${name}: checksum mismatch (the bundle is damaged)`);
    files[name] = bytes;
  }
  const need = (name: string) => {
    const bytes = files[name];
    if (!bytes) throw new CorruptArtifactError(`${location}: bundle lists no ${name}`);
    return bytes;
  };

  // Encoder: the LayersModel artifacts from memory (the same files load with tf.loadLayersModel over HTTP).
  const modelJson = parseJson(need('encoder/model.json'), 'encoder/model.json') as {
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const weightParts = modelJson.weightsManifest.flatMap((g) => g.paths.map((p) => need(`encoder/${p}`)));
  const weightData = new Uint8Array(weightParts.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const part of weightParts) {
    weightData.set(part, at);
    at += part.byteLength;
  }
  const encoderMeta = parseJson(need('encoder/encoder.json'), 'encoder/encoder.json') as { seed: number };
  const layersModel = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData: weightData.buffer }),
  );
  const encoder = new ImageEncoder(manifest.config.encoder, encoderMeta.seed ?? 0, layersModel);

  // Decoder: float32 arrays at the offsets listed in the manifest.
  const blob = need('decoder/weights.bin');
  const aligned = blob.slice().buffer;
  const arrays: NamedArrays = {};
  for (const entry of manifest.decoderWeights) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset + size * 4 > aligned.byteLength) {
      encoder.dispose();
      throw new CorruptArtifactError(`${location}/decoder/weights.bin is too short for ${entry.name}`);
    }
    arrays[entry.name] = { shape: entry.shape, data: new Float32Array(aligned, entry.offset, size) };
  }
  let captioner: CaptionModel;
  try {
    const spec = {
      decoder: manifest.config.decoder,
      featureShape: manifest.featureShape,
      vocabSize: manifest.vocabSize,
    };
    const { params, norm } = decoderFromArrays(spec, arrays, `${location}/decoder/weights.bin`);
    captioner = new CaptionModel(manifest.config, manifest.featureShape, manifest.vocabSize, params, norm);
  } catch (error) {
    encoder.dispose();
    throw new CorruptArtifactError(
      `${location}: decoder weights do not fit the bundle's config (${(error as Error).message})`,
    );
  }
  return {
    encoder,
    captioner,
    vocabulary: parseJson(need('vocabulary.json'), 'vocabulary.json'),
    preprocessing: parseJson(need('preprocessing.json'), 'preprocessing.json'),
    config: manifest.config,
    manifest,
    ...(files['encoder.onnx'] ? { encoderOnnx: files['encoder.onnx'] } : {}),
  };
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import { readCheckpointDir } from '../checkpoint/checkpoint-dir';
import { applyEncoderWeights } from '../checkpoint/encoder-weights';
import { loadEncoder, saveEncoder } from '../encoder/encoder-files';
import { sha256Hex } from '../io/artifact-reader';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { BUNDLE_FILE, BUNDLE_FORMAT } from './bundle-format';
import type { BundleManifest } from './bundle-format';

export interface ExportModelBundleOptions {
  /** Bundle directory to create (replaced atomically if it exists). */
  outDir: string;
  /** A directory written by `ImageEncoder.save`. */
  encoderDir: string;
  /** A training checkpoint (its optimizer state is left out). */
  checkpointDir: string;
  /** Written as `vocabulary.json` and `preprocessing.json`. */
  extras: { vocabulary: unknown; preprocessing: unknown };
  /** Also write `encoder.onnx` (pooled and grid outputs, NHWC input), for ONNX Runtime and onnxruntime-web. */
  onnx?: boolean;
}

/** The files of a saved encoder: its LayersModel (model.json + weight files) and encoder.json. */
async function encoderFileNames(dir: string): Promise<string[]> {
  const modelJson = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  return ['model.json', 'encoder.json', ...modelJson.weightsManifest.flatMap((g) => g.paths)];
}

/**
 * Writes one self-describing model bundle: `encoder/` (a tfjs LayersModel + encoder.json), `encoder.onnx`
 * when asked, `decoder/weights.bin`,
 * `vocabulary.json`, `preprocessing.json` and `bundle.json` (config, feature shape, checksums of every file).
 * A checkpoint of a fine-tuned encoder (`encoder/*` weights) exports the encoder with those weights.
 * The whole directory appears at once (built in a temporary sibling, then renamed).
 */
export async function exportModelBundle(
  options: ExportModelBundleOptions,
): Promise<{ dir: string; manifest: BundleManifest }> {
  const { meta, tensors } = await readCheckpointDir(options.checkpointDir);
  const encoderJson = JSON.parse(
    await fs.readFile(path.join(options.encoderDir, 'encoder.json'), 'utf8').catch(() => {
      throw new NotFoundError(`${options.encoderDir} holds no saved encoder (encoder.json)`);
    }),
  ) as { config: unknown; pooledSize: number; gridPositions: number; gridChannels: number };
  const fs_ = meta.featureShape;
  if (
    encoderJson.pooledSize !== fs_.pooledSize ||
    encoderJson.gridPositions !== fs_.gridPositions ||
    encoderJson.gridChannels !== fs_.gridChannels
  ) {
    throw new InvalidInputError(
      `encoder ${options.encoderDir} produces features of another shape than checkpoint ${options.checkpointDir} was trained on`,
    );
  }
  const fineTuned = Object.keys(tensors).some((name) => name.startsWith('encoder/'));

  const parent = path.dirname(path.resolve(options.outDir));
  await fs.mkdir(parent, { recursive: true });
  const temporary = path.join(
    parent,
    `.${path.basename(options.outDir)}.partial-${randomBytes(4).toString('hex')}`,
  );
  await fs.mkdir(path.join(temporary, 'encoder'), { recursive: true });
  await fs.mkdir(path.join(temporary, 'decoder'), { recursive: true });
  try {
    const files: Record<string, string> = {};
    const put = async (name: string, bytes: Uint8Array) => {
      await fs.writeFile(path.join(temporary, ...name.split('/')), bytes);
      files[name] = await sha256Hex(bytes);
    };
    if (fineTuned) {
      // The checkpoint's encoder/* weights replace the run's initial ones: the bundle holds the encoder as trained.
      const encoder = await loadEncoder(options.encoderDir);
      try {
        applyEncoderWeights(encoder, tensors);
        await saveEncoder(encoder, path.join(temporary, 'encoder'));
      } finally {
        encoder.dispose();
      }
      for (const file of await encoderFileNames(path.join(temporary, 'encoder')))
        files[`encoder/${file}`] = await sha256Hex(
          new Uint8Array(await fs.readFile(path.join(temporary, 'encoder', file))),
        );
    } else {
      for (const file of await encoderFileNames(options.encoderDir))
        await put(`encoder/${file}`, new Uint8Array(await fs.readFile(path.join(options.encoderDir, file))));
    }
    if (options.onnx) {
      // Written from the encoder as bundled (fine-tuned weights included), so both formats hold the same network.
      const encoder = await loadEncoder(path.join(temporary, 'encoder'));
      try {
        await put('encoder.onnx', layersModelToOnnx(encoder.model));
      } finally {
        encoder.dispose();
      }
    }

    const decoderWeights: BundleManifest['decoderWeights'] = [];
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const [name, t] of Object.entries(tensors)) {
      if (!name.startsWith('decoder/') && !name.startsWith('norm/')) continue;
      decoderWeights.push({ name, shape: t.shape, offset });
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      parts.push(bytes);
      offset += bytes.byteLength;
    }
    await put('decoder/weights.bin', Buffer.concat(parts));
    const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
    await put('vocabulary.json', json(options.extras.vocabulary));
    await put('preprocessing.json', json(options.extras.preprocessing));
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      config: meta.modelConfig,
      featureShape: meta.featureShape,
      vocabSize: meta.vocabSize,
      step: meta.step,
      decoderWeights,
      files,
    };
    await fs.writeFile(path.join(temporary, BUNDLE_FILE), json(manifest));
    await fs.rm(options.outDir, { recursive: true, force: true });
    await fs.rename(temporary, options.outDir);
    return { dir: options.outDir, manifest };
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

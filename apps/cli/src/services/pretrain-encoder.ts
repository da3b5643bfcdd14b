import { imagePath, normalizeImages, splitItems } from '@captioner/dataset';
import type { DatasetManifest, Scene } from '@captioner/dataset';
import { initBackend, saveEncoder } from '@captioner/model';
import type { EncoderConfig } from '@captioner/model';
import { parsePreprocessSettings, prepareImage } from '@captioner/preprocessing';
import { pretrainEncoder } from '@captioner/training';
import { InvalidInputError } from '@captioner/core';
import type { BackendName } from '@captioner/core';

export interface PretrainShapesEncoderOptions {
  manifest: DatasetManifest;
  /** The run config's `preprocess` section: the pretraining images are prepared exactly as the run's. */
  preprocess: unknown;
  encoder: EncoderConfig;
  seed: number;
  epochs: number;
  /** Save the encoder with its cell head (see `pretrainEncoder`'s `withHead`). */
  withHead: boolean;
  /** Where the encoder is saved; the run config then names it as `model.encoder.weights`. */
  outDir: string;
  backend: BackendName | undefined;
  onProgress?: (update: { epoch: number; step: number; steps: number; loss: number }) => void;
}

/**
 * Pretrains the encoder of a shapes run on the scenes of the manifest's training split only (the
 * validation and test images are never seen), and saves it where `model.encoder.weights` can load it
 * (with `model.encoder.cellHead` set to the returned `cellHead` when saved with its head).
 */
export async function pretrainShapesEncoder(
  options: PretrainShapesEncoderOptions,
): Promise<{ loss: number; accuracy: number; images: number; cellHead: EncoderConfig['cellHead'] }> {
  const settings = parsePreprocessSettings(options.preprocess);
  const S = options.encoder.imageSize;
  if (settings.imageSize !== S)
    throw new InvalidInputError(
      `encoder pretraining: preprocess.imageSize ${settings.imageSize} differs from model.encoder.imageSize ${S}`,
    );
  const items = splitItems(options.manifest, 'train');
  const scenes: Scene[] = items.map((item) => {
    if (!item.scene)
      throw new InvalidInputError(`encoder pretraining: manifest item ${item.id} has no scene`);
    return item.scene;
  });
  const pixels = new Uint8Array(items.length * S * S * 3);
  for (let i = 0; i < items.length; i++)
    pixels.set(await prepareImage(imagePath(options.manifest, items[i]), settings), i * S * S * 3);
  const images = normalizeImages(pixels, settings.mean, settings.std);
  await initBackend(options.backend);
  const result = await pretrainEncoder({
    config: options.encoder,
    seed: options.seed,
    images,
    scenes,
    epochs: options.epochs,
    withHead: options.withHead,
    onProgress: options.onProgress,
  });
  try {
    await saveEncoder(result.encoder, options.outDir);
  } finally {
    result.encoder.dispose();
  }
  return {
    loss: result.loss,
    accuracy: result.accuracy,
    images: items.length,
    cellHead: result.encoder.config.cellHead,
  };
}

import { NotFoundError } from '@captioner/core';
import type { BackendName } from '@captioner/core';
import { findEncoderWeights } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { normalizeImages } from '@captioner/dataset';
import {
  createEncoder,
  encodeImages,
  encoderConfigSchema,
  inferenceEncoder,
  initBackend,
  releaseInferenceSessions,
} from '@captioner/model';
import { parsePreprocessSettings, prepareImage } from '@captioner/preprocessing';

export interface ImageFeatures {
  image: string;
  pooled: number[];
}

/**
 * The pooled features of image files, in order, through registered encoder weights at `imageSize` with
 * the preprocessing preset that goes with torchvision's weights (shorter side to imageSize*256/224,
 * centre crop, ImageNet mean/std). The encoder runs on the engine the extract stage would use.
 */
export async function encoderFeatures(
  db: DbClient,
  input: {
    images: string[];
    encoder: string;
    imageSize: number;
    backend?: BackendName;
    onWarning?: (m: string) => void;
  },
): Promise<{
  encoder: string;
  architecture: string;
  sha256: string;
  engine: string;
  imageSize: number;
  features: ImageFeatures[];
}> {
  const weights = await findEncoderWeights(db, input.encoder);
  if (!weights)
    throw new NotFoundError(`no encoder named ${input.encoder} is registered (captioner encoder list)`);
  const preprocess = parsePreprocessSettings({ imageSize: input.imageSize });
  // Every image is read (and refused with its name) before the encoder is built: that costs seconds.
  const pixels: Uint8Array[] = [];
  for (const image of input.images) pixels.push(await prepareImage(image, preprocess));
  const all = new Uint8Array(pixels.reduce((n, p) => n + p.length, 0));
  pixels.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  await initBackend(input.backend);
  const encoder = await createEncoder(
    encoderConfigSchema.parse({
      kind: weights.architecture,
      imageSize: input.imageSize,
      weights: weights.path,
    }),
    0,
  );
  try {
    const inference = await inferenceEncoder(
      encoder,
      `encoder-weights:${weights.sha256}:${input.imageSize}`,
      {
        onWarning: input.onWarning,
      },
    );
    const { pooled } = await encodeImages(
      inference.encoder,
      normalizeImages(all, preprocess.mean, preprocess.std),
      input.images.length,
    );
    const D = inference.encoder.pooledSize;
    return {
      encoder: weights.name,
      architecture: weights.architecture,
      sha256: weights.sha256,
      engine: inference.engine,
      imageSize: input.imageSize,
      features: input.images.map((image, i) => ({
        image,
        pooled: Array.from(pooled.subarray(i * D, (i + 1) * D)),
      })),
    };
  } finally {
    encoder.dispose();
    await releaseInferenceSessions();
  }
}

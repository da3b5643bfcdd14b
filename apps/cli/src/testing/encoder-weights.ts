import fs from 'node:fs/promises';
import {
  createEncoder,
  encodeSafetensors,
  encoderConfigSchema,
  initBackend,
  torchvisionStateDictOf,
} from '@captioner/model';
import type { ImageEncoder } from '@captioner/model';

/**
 * A ResNet-18 with random (seeded) weights, written as torchvision's state dict in `.safetensors` form:
 * what `encoder import` reads, without Python. Returns the encoder (its features are the reference).
 */
export async function writeRandomResnet18(file: string, seed: number, imageSize = 64): Promise<ImageEncoder> {
  await initBackend('cpu');
  const encoder = await createEncoder(encoderConfigSchema.parse({ kind: 'resnet18', imageSize }), seed);
  await fs.writeFile(file, encodeSafetensors(torchvisionStateDictOf(encoder.model)));
  return encoder;
}

import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, CorruptArtifactError, writeJsonAtomic } from '@captioner/core';
import { z } from 'zod';
import { encoderConfigSchema } from '../config';
import type { EncoderConfig } from '../config';
import { readArtifact } from '../io/artifact-reader';
import { loadLayersModelFrom, saveLayersModel } from '../io/layers-model-io';
import { ImageEncoder } from './image-encoder';
import { buildResNet } from './resnet';
import { loadPretrainedWeights } from './pretrained-weights';
import { ARCHITECTURES } from './architectures';
import { isStateDictLocation, readStateDictFile } from '../io/torch/read-state-dict-file';
import { loadTorchvisionStateDict } from './torchvision-weights';

/** `encoder.json`, saved next to the LayersModel files. */
const encoderFileSchema = z.object({
  formatVersion: z.literal(1),
  config: encoderConfigSchema,
  seed: z.number().int(),
  pooledSize: z.number().int().positive(),
  gridPositions: z.number().int().positive(),
  gridChannels: z.number().int().positive(),
});

/** Writes `model.json` + `weights.bin` (a tfjs LayersModel) and `encoder.json` into `dir`. */
export async function saveEncoder(encoder: ImageEncoder, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await saveLayersModel(encoder.model, dir);
  await writeJsonAtomic(path.join(dir, 'encoder.json'), {
    formatVersion: 1,
    config: encoder.config,
    seed: encoder.seed,
    pooledSize: encoder.pooledSize,
    gridPositions: encoder.gridPositions,
    gridChannels: encoder.gridChannels,
  });
}

/**
 * Writes pretrained weights into `model`: a torchvision state dict (`.pth`/`.pt`/`.safetensors`, file or
 * URL) for resnet18/34/50, a tfjs LayersModel directory or URL (Keras names) otherwise.
 */
async function loadWeights(model: tf.LayersModel, config: EncoderConfig, location: string): Promise<void> {
  if (!isStateDictLocation(location)) {
    await loadPretrainedWeights(model, location);
    return;
  }
  if (ARCHITECTURES[config.kind].flavour !== 'torchvision')
    throw new ConfigError(
      `model.encoder.weights: ${location} is a PyTorch state dict, which only kinds resnet18, resnet34 and resnet50 load (kind is ${config.kind})`,
    );
  loadTorchvisionStateDict(model, await readStateDictFile(location), location);
}

/**
 * Builds an encoder: He-initialised from `seed` (the same seed gives the same weights), then overwritten
 * by pretrained weights when `config.weights` names a file or directory (see `loadWeights`).
 */
export async function createEncoder(config: EncoderConfig, seed: number): Promise<ImageEncoder> {
  const parsed = encoderConfigSchema.parse(config);
  if (parsed.cellHead && parsed.weights && isStateDictLocation(parsed.weights))
    throw new ConfigError(
      `model.encoder.weights: ${parsed.weights} is a PyTorch state dict, which holds no cell head (model.encoder.cellHead is set); name the directory of an encoder saved with its head`,
    );
  // With pretrained weights the random initialisation would be overwritten: skip it (it costs seconds).
  const model = buildResNet(parsed, parsed.weights ? undefined : seed);
  if (parsed.weights) {
    try {
      await loadWeights(model, parsed, parsed.weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  return new ImageEncoder(parsed, seed, model);
}

/** Loads an encoder saved with `saveEncoder` from a directory or URL. */
export async function loadEncoder(location: string): Promise<ImageEncoder> {
  const text = new TextDecoder().decode(await readArtifact(location, 'encoder.json'));
  let parsed;
  try {
    parsed = encoderFileSchema.safeParse(JSON.parse(text));
  } catch {
    throw new CorruptArtifactError(`${location}/encoder.json is not valid JSON`);
  }
  if (!parsed.success)
    throw new CorruptArtifactError(`${location}/encoder.json: ${parsed.error.issues[0].message}`);
  const model = await loadLayersModelFrom(location);
  return new ImageEncoder(parsed.data.config, parsed.data.seed, model);
}

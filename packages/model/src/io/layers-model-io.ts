import * as tf from '@tensorflow/tfjs';
import { CorruptArtifactError } from '@captioner/core';
import { writeFileAtomic, writeJsonAtomic } from '@captioner/core';
import path from 'node:path';
import { readArtifact } from './artifact-reader';

/** What `model.json` of a tfjs LayersModel holds (the parts read here). */
interface ModelJson {
  modelTopology?: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

/** Reads `model.json` and its weight files from a directory or URL. */
export async function readLayersModelArtifacts(location: string): Promise<tf.io.ModelArtifacts> {
  const text = new TextDecoder().decode(await readArtifact(location, 'model.json'));
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch {
    throw new CorruptArtifactError(`${location}/model.json is not valid JSON`);
  }
  if (!Array.isArray(json.weightsManifest))
    throw new CorruptArtifactError(`${location}/model.json has no weightsManifest`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const file of group.paths) buffers.push(await readArtifact(location, file));
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  const expected = specs.reduce(
    (n, s) =>
      n +
      s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'float32' || s.dtype === 'int32' || !s.dtype ? 4 : 1),
    0,
  );
  if (!specs.some((s) => s.quantization) && expected !== total) {
    throw new CorruptArtifactError(
      `${location}: weight files hold ${total} bytes, model.json describes ${expected}`,
    );
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
}

/** Saves a LayersModel as `model.json` + `weights.bin` in `dir` (the layout tf.loadLayersModel reads over HTTP). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(tf.io.concatenateArrayBuffers(data as ArrayBuffer[]));
      await writeFileAtomic(path.join(dir, 'weights.bin'), bytes);
      await writeJsonAtomic(path.join(dir, 'model.json'), {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    }),
  );
}

/** Loads a LayersModel (topology and weights) from a directory or URL. */
export async function loadLayersModelFrom(location: string): Promise<tf.LayersModel> {
  const artifacts = await readLayersModelArtifacts(location);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core';
import { readLayersModelArtifacts } from '../io/layers-model-io';

/** `conv1_conv/kernel:0` or `resnet50/conv1_conv/kernel` -> `conv1_conv/kernel`. */
function weightKey(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  return parts.slice(-2).join('/');
}

export interface WeightLoadReport {
  loaded: number;
  /** Weights in the file that no layer of the model has (e.g. the ImageNet classifier); ignored. */
  unused: string[];
}

/**
 * Copies pretrained weights into `model`, matched by layer and weight name (`conv2_block1_1_conv/kernel`).
 * Every weight of the model must be found with the same shape; otherwise nothing is changed and the error
 * lists each missing weight and shape mismatch.
 */
export async function loadPretrainedWeights(
  model: tf.LayersModel,
  location: string,
): Promise<WeightLoadReport> {
  const artifacts = await readLayersModelArtifacts(location);
  const named = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    const available = new Map<string, tf.Tensor>();
    for (const [name, tensor] of Object.entries(named)) available.set(weightKey(name), tensor);
    const problems: string[] = [];
    const assignments: [tf.LayerVariable, tf.Tensor][] = [];
    const used = new Set<string>();
    for (const layer of model.layers) {
      for (const w of layer.weights) {
        const key = weightKey(w.originalName);
        const found = available.get(key);
        if (!found) problems.push(`missing ${key} ${JSON.stringify(w.shape)}`);
        else if (!tf.util.arraysEqual(found.shape, w.shape as number[]))
          problems.push(
            `shape of ${key}: model ${JSON.stringify(w.shape)}, file ${JSON.stringify(found.shape)}`,
          );
        else {
          assignments.push([w, found]);
          used.add(key);
        }
      }
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 20).join('; ');
      throw new InvalidInputError(
        `pretrained weights at ${location} do not match the ${model.name} encoder (${problems.length} mismatches): ${shown}${problems.length > 20 ? '; ...' : ''}`,
      );
    }
    for (const [variable, value] of assignments) variable.write(value);
    return { loaded: assignments.length, unused: [...available.keys()].filter((k) => !used.has(k)) };
  } finally {
    tf.dispose(Object.values(named));
  }
}

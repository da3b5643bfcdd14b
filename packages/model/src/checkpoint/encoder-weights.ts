import * as tf from '@tensorflow/tfjs';
import { CorruptArtifactError } from '@captioner/core';
import { loadEncoder } from '../encoder/encoder-files';
import type { ImageEncoder } from '../encoder/image-encoder';
import type { NamedArrays } from './checkpoint-dir';
import { readCheckpointDir } from './checkpoint-dir';

/** Checkpoint name of a fine-tuned encoder weight: `encoder/<layer>/<weight>`. */
export function encoderWeightName(variable: tf.LayerVariable): string {
  return `encoder/${variable.originalName}`;
}

/** The encoder's trainable variables by checkpoint name (what fine-tuning trains and checkpoints save). */
export function encoderTrainableVariables(encoder: ImageEncoder): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const w of encoder.model.trainableWeights) out[encoderWeightName(w)] = w.read() as tf.Variable;
  return out;
}

/** Writes the `encoder/*` arrays of a checkpoint into the encoder's variables. */
export function applyEncoderWeights(encoder: ImageEncoder, tensors: NamedArrays): number {
  let applied = 0;
  for (const w of encoder.model.weights) {
    const saved = tensors[encoderWeightName(w)];
    if (!saved) continue;
    if (!tf.util.arraysEqual(saved.shape, w.shape as number[]))
      throw new CorruptArtifactError(
        `checkpoint weight ${encoderWeightName(w)} has shape ${JSON.stringify(saved.shape)}, the encoder ${JSON.stringify(w.shape)}`,
      );
    tf.tidy(() => {
      w.write(tf.tensor(saved.data, saved.shape));
    });
    applied++;
  }
  return applied;
}

/** The encoder saved in `encoderDir` with the fine-tuned weights of a checkpoint applied (as training left it at that step). */
export async function loadFineTunedEncoder(encoderDir: string, checkpointDir: string): Promise<ImageEncoder> {
  const encoder = await loadEncoder(encoderDir);
  try {
    applyEncoderWeights(encoder, (await readCheckpointDir(checkpointDir)).tensors);
    return encoder;
  } catch (error) {
    encoder.dispose();
    throw error;
  }
}

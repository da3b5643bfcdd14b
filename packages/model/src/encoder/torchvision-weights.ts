import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import type { StateDict, StoredTensor } from '../io/torch/state-dict';

/*
 * torchvision state-dict names <-> the layers of a torchvision-flavoured ResNet (torchvision-resnet.ts):
 *   conv1.weight                      conv1_conv/kernel
 *   bn1.{weight,bias,running_mean,running_var}   conv1_bn/{gamma,beta,moving_mean,moving_variance}
 *   layer<S>.<B>.conv<k>.weight       conv<S+1>_block<B+1>_<k>_conv/kernel
 *   layer<S>.<B>.bn<k>.*              conv<S+1>_block<B+1>_<k>_bn/*
 *   layer<S>.<B>.downsample.0.weight  conv<S+1>_block<B+1>_0_conv/kernel
 *   layer<S>.<B>.downsample.1.*       conv<S+1>_block<B+1>_0_bn/*
 * Convolution kernels are OIHW in PyTorch and HWIO in tfjs. `fc.*` (the ImageNet classifier) and
 * `*.num_batches_tracked` (a training counter) have no counterpart and are skipped.
 */

const BN_WEIGHTS: Record<string, string> = {
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/** Names with no counterpart in the encoder, accepted and ignored. */
function isIgnored(name: string): boolean {
  return name === 'fc.weight' || name === 'fc.bias' || name.endsWith('.num_batches_tracked');
}

/** The torchvision name of a layer (`conv2_block1_0_bn` -> `layer1.0.downsample.1`). */
export function torchvisionModuleName(layer: string): string | undefined {
  if (layer === 'conv1_conv') return 'conv1';
  if (layer === 'conv1_bn') return 'bn1';
  const match = /^conv(\d+)_block(\d+)_(\d+)_(conv|bn)$/.exec(layer);
  if (!match) return undefined;
  const [, stage, block, part, kind] = match;
  const prefix = `layer${Number(stage) - 1}.${Number(block) - 1}`;
  if (part === '0') return `${prefix}.downsample.${kind === 'conv' ? 0 : 1}`;
  return `${prefix}.${kind}${part}`;
}

/** The torchvision name of one weight (`conv2_block1_1_bn/moving_mean` -> `layer1.0.bn1.running_mean`). */
export function torchvisionWeightName(weight: string): string | undefined {
  const [layer, variable] = weight.replace(/:\d+$/, '').split('/').slice(-2);
  const module = torchvisionModuleName(layer);
  if (!module) return undefined;
  if (variable === 'kernel') return `${module}.weight`;
  const bn = BN_WEIGHTS[variable];
  return bn ? `${module}.${bn}` : undefined;
}

/**
 * PyTorch's OIHW kernel layout <-> tfjs' HWIO, in plain JavaScript (tf.transpose of 4-D tensors takes a
 * slow path on wasm: seconds per ResNet).
 */
export function oihwToHwio(data: Float32Array, [o, i, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  let from = 0;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = data[from++];
  return out;
}

export function hwioToOihw(data: Float32Array, [h, w, i, o]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  let to = 0;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[to++] = data[((y * w + x) * i + b) * o + a];
  return out;
}

/** The tfjs value of a stored tensor for a weight of shape `shape` (OIHW kernels transposed to HWIO). */
function toTfjs(tensor: StoredTensor, shape: number[]): tf.Tensor {
  return shape.length === 4
    ? tf.tensor(oihwToHwio(tensor.data, tensor.shape), shape)
    : tf.tensor(tensor.data, shape);
}

/** The shape a weight of tfjs shape `shape` has in the state dict (HWIO -> OIHW). */
function torchShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[3], shape[2], shape[0], shape[1]] : shape;
}

/**
 * Writes a torchvision ResNet state dict into `model`. Every weight of the model must be in the file with
 * its shape, and every tensor of the file must belong to the model (except `fc.*` and
 * `num_batches_tracked`); otherwise nothing is changed and the InvalidInputError names each missing,
 * extra or misshapen tensor. A `module.` prefix on every name (nn.DataParallel) is removed.
 */
export function loadTorchvisionStateDict(model: tf.LayersModel, stateDict: StateDict, label: string): number {
  const names = [...stateDict.keys()];
  const strip = names.length > 0 && names.every((n) => n.startsWith('module.'));
  const tensors = new Map(names.map((n) => [strip ? n.slice('module.'.length) : n, stateDict.get(n)!]));
  const problems: string[] = [];
  const assignments: [tf.LayerVariable, StoredTensor][] = [];
  const used = new Set<string>();
  for (const variable of model.weights) {
    const name = torchvisionWeightName(variable.originalName);
    if (!name)
      throw new InvalidInputError(`${model.name}: weight ${variable.originalName} has no torchvision name`);
    const expected = torchShape(variable.shape as number[]);
    const found = tensors.get(name);
    if (!found) problems.push(`missing ${name} ${JSON.stringify(expected)}`);
    else if (!tf.util.arraysEqual(found.shape, expected))
      problems.push(
        `${name} has shape ${JSON.stringify(found.shape)}, the ${model.name} encoder needs ${JSON.stringify(expected)}`,
      );
    else {
      assignments.push([variable, found]);
      used.add(name);
    }
  }
  for (const name of tensors.keys())
    if (!used.has(name) && !isIgnored(name) && !problems.some((p) => p.startsWith(`${name} `)))
      problems.push(`extra ${name} ${JSON.stringify(tensors.get(name)!.shape)}`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    throw new InvalidInputError(
      `${label} does not fit the ${model.name} encoder (${problems.length} problems): ${shown}${problems.length > 8 ? '; ...' : ''}`,
    );
  }
  for (const [variable, stored] of assignments) {
    const value = toTfjs(stored, variable.shape as number[]);
    variable.write(value);
    value.dispose();
  }
  return assignments.length;
}

/** The inverse of `loadTorchvisionStateDict`: the model's weights under torchvision's names and shapes (OIHW). */
export function torchvisionStateDictOf(model: tf.LayersModel): StateDict {
  const out: StateDict = new Map();
  for (const variable of model.weights) {
    const name = torchvisionWeightName(variable.originalName);
    if (!name)
      throw new InvalidInputError(`${model.name}: weight ${variable.originalName} has no torchvision name`);
    const shape = variable.shape as number[];
    const values = variable.read().dataSync() as Float32Array;
    const data = shape.length === 4 ? hwioToOihw(values, shape) : Float32Array.from(values);
    out.set(name, { dtype: 'float32', shape: torchShape(shape), data });
  }
  return out;
}

import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import { OnnxGraphBuilder } from './onnx-graph';

/*
 * Writes a tfjs LayersModel (an encoder's feature-map model, [n, S, S, 3] -> [n, h, w, C]) as ONNX, layer
 * class by layer class, so that any ResNet built from the standard layers exports: Conv2D (with or without
 * bias, 'same' or 'valid'), BatchNormalization, Activation/ReLU, Add, MaxPooling2D/AveragePooling2D,
 * ZeroPadding2D and GlobalAveragePooling2D; then Reshape, Permute and Dense, which a cell head
 * (encoder/cell-head.ts) appends. tfjs works in NHWC and ONNX's Conv in NCHW, so the graph keeps tfjs' NHWC
 * input (callers feed the same pixels to both engines) and transposes once after it; each value remembers
 * its layout, and the first layer that reshapes the map transposes it back to tfjs' own. Batch
 * normalisation stays a node: ONNX Runtime folds it into the convolution when it optimises the session.
 */

import { ONNX_ENCODER_INPUT, ONNX_GRID_OUTPUT, ONNX_POOLED_OUTPUT } from './io-names';

export { ONNX_ENCODER_INPUT, ONNX_GRID_OUTPUT, ONNX_POOLED_OUTPUT } from './io-names';

type Layer = tf.layers.Layer;
type Config = Record<string, unknown>;
/** `nchw`: a feature map transposed for ONNX's convolutions; `tfjs`: the layout tfjs has (NHWC maps). */
type Layout = 'nchw' | 'tfjs';
/** Layers that read and write feature maps in NCHW. */
const MAP_LAYERS = new Set([
  'Conv2D',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Add',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'ZeroPadding2D',
]);

/** ONNX bytes of an encoder's feature map with the ImageEncoder's pooling: outputs `pooled` [n, C] and `grid` [n, h*w, C]. */
export function layersModelToOnnx(model: tf.LayersModel): Uint8Array {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new InvalidInputError(`ONNX export: ${model.name} must have one input and one output`);
  const [, height, width, channels] = model.inputs[0].shape;
  if (!height || !width || !channels)
    throw new InvalidInputError(
      `ONNX export: ${model.name} needs a fixed input size, got ${model.inputs[0].shape}`,
    );
  const g = new OnnxGraphBuilder();
  g.unique(ONNX_ENCODER_INPUT);
  // tfjs tensor (by layer name) -> ONNX value name; pending pads are folded into the next convolution.
  const values = new Map<string, string>();
  const layouts = new Map<string, Layout>();
  const pendingPads = new Map<string, number[]>();
  const consumers = countConsumers(model);

  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') {
      values.set(layer.name, g.node('Transpose', [ONNX_ENCODER_INPUT], 'nchw', { perm: [0, 3, 1, 2] }));
      layouts.set(layer.name, 'nchw');
      continue;
    }
    const layout: Layout = MAP_LAYERS.has(className) ? 'nchw' : 'tfjs';
    const inputs = inboundLayers(layer).map((l) => {
      const value = values.get(l.name);
      if (value === undefined)
        throw new InvalidInputError(`ONNX export: layer ${layer.name} reads ${l.name} before it is written`);
      if (layouts.get(l.name) === layout) return value;
      if (layout === 'nchw')
        throw new InvalidInputError(
          `ONNX export: layer ${layer.name} (${className}) reads ${l.name}, which is no longer a feature map`,
        );
      return g.node('Transpose', [value], `${l.name}_nhwc`, { perm: [0, 2, 3, 1] });
    });
    const padded =
      inboundLayers(layer).length === 1 ? pendingPads.get(inboundLayers(layer)[0].name) : undefined;
    const config = layer.getConfig() as Config;
    checkChannelsLast(layer, config);
    let out: string;
    switch (className) {
      case 'Conv2D':
        out = conv(g, layer, config, inputs[0], padded);
        break;
      case 'BatchNormalization':
        out = batchNorm(g, layer, config, inputs[0]);
        break;
      case 'Activation':
      case 'ReLU':
        out = activation(g, layer, className === 'ReLU' ? 'relu' : String(config.activation), inputs[0]);
        break;
      case 'Add':
        out = inputs
          .slice(1)
          .reduce(
            (sum, x, i) =>
              g.node('Add', [sum, x], i === inputs.length - 2 ? layer.name : `${layer.name}_partial`),
            inputs[0],
          );
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        out = pool(g, layer, config, className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', inputs[0]);
        break;
      case 'GlobalAveragePooling2D':
        out = g.node('Flatten', [g.node('GlobalAveragePool', [inputs[0]], `${layer.name}_map`)], layer.name, {
          axis: 1,
        });
        break;
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = (layer as unknown as { padding: number[][] }).padding;
        const onlyConvsRead = consumerClasses(model, layer).every((c) => c === 'Conv2D');
        if (onlyConvsRead) {
          // Zero padding followed by a convolution is the convolution's own padding: no copy of the map.
          pendingPads.set(layer.name, [top, left, bottom, right]);
          out = inputs[0];
        } else {
          const pads = g.int64Initializer(`${layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
          out = g.node('Pad', [inputs[0], pads], layer.name);
        }
        break;
      }
      case 'Reshape': {
        const targetShape = config.targetShape as number[];
        out = g.node(
          'Reshape',
          [inputs[0], g.int64Initializer(`${layer.name}_shape`, [0, ...targetShape])],
          layer.name,
        );
        break;
      }
      case 'Permute':
        out = g.node('Transpose', [inputs[0]], layer.name, { perm: [0, ...(config.dims as number[])] });
        break;
      case 'Dense':
        out = dense(g, layer, config, inputs[0]);
        break;
      default:
        throw new InvalidInputError(
          `ONNX export: layer ${layer.name} of class ${className} is not supported`,
        );
    }
    if (consumers.get(layer.name) === 0 && layer !== outputLayer(model))
      throw new InvalidInputError(`ONNX export: layer ${layer.name} is not used by the output`);
    values.set(layer.name, out);
    layouts.set(layer.name, layout);
  }

  const map = values.get(outputLayer(model).name)!;
  const [, h, w, c] = model.outputs[0].shape as number[];
  if (h === undefined || c === undefined)
    throw new InvalidInputError(`ONNX export: ${model.name} output must be [n, h, w, C]`);
  const nhwc =
    layouts.get(outputLayer(model).name) === 'tfjs'
      ? map
      : g.node('Transpose', [map], 'map_nhwc', { perm: [0, 2, 3, 1] });
  const pooled = g.node('ReduceMean', [nhwc], ONNX_POOLED_OUTPUT, { axes: [1, 2], keepdims: 0 });
  const gridShape = g.int64Initializer('grid_shape', [0, h * w, c]);
  const grid = g.node('Reshape', [nhwc, gridShape], ONNX_GRID_OUTPUT);
  return g.encode(
    model.name,
    [{ name: ONNX_ENCODER_INPUT, dims: ['n', height, width, channels] }],
    [
      { name: pooled, dims: ['n', c] },
      { name: grid, dims: ['n', h * w, c] },
    ],
  );
}

function outputLayer(model: tf.LayersModel): Layer {
  return model.outputs[0].sourceLayer as Layer;
}

function inboundLayers(layer: Layer): Layer[] {
  if (layer.inboundNodes.length !== 1)
    throw new InvalidInputError(
      `ONNX export: layer ${layer.name} is applied ${layer.inboundNodes.length} times; shared layers are not supported`,
    );
  return layer.inboundNodes[0].inboundLayers as Layer[];
}

function countConsumers(model: tf.LayersModel): Map<string, number> {
  const counts = new Map<string, number>(model.layers.map((l) => [l.name, 0]));
  for (const layer of model.layers)
    for (const from of layer.inboundNodes.flatMap((n) => n.inboundLayers))
      counts.set(from.name, (counts.get(from.name) ?? 0) + 1);
  return counts;
}

function consumerClasses(model: tf.LayersModel, layer: Layer): string[] {
  return model.layers
    .filter((l) => l.inboundNodes.some((n) => n.inboundLayers.includes(layer)))
    .map((l) => l.getClassName());
}

function checkChannelsLast(layer: Layer, config: Config): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
    throw new InvalidInputError(
      `ONNX export: layer ${layer.name} uses ${String(config.dataFormat)}; only channelsLast is supported`,
    );
  if (layer.getClassName() === 'BatchNormalization' && config.axis !== 3 && config.axis !== -1)
    throw new InvalidInputError(
      `ONNX export: layer ${layer.name} normalises axis ${String(config.axis)}; only the channel axis is supported`,
    );
}

/** [h, w] of the layer's input (fixed by the model's input size). */
function inputSpatial(layer: Layer): [number, number] {
  const shape = (layer.input as tf.SymbolicTensor).shape;
  return [shape[1]!, shape[2]!];
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value)
    ? [Number(value[0]), Number(value[1] ?? value[0])]
    : [Number(value), Number(value)];
}

/**
 * ONNX pads [top, left, bottom, right] for tfjs' padding mode. 'same' is TensorFlow's: the output is
 * ceil(in / stride) and an odd total puts the extra row/column at the end (bottom/right).
 */
export function tfPads(
  padding: 'same' | 'valid',
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number] = [1, 1],
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const total = input.map((size, i) => {
    const out = Math.ceil(size / strides[i]);
    const effective = (kernel[i] - 1) * dilations[i] + 1;
    return Math.max((out - 1) * strides[i] + effective - size, 0);
  });
  const before = total.map((t) => Math.floor(t / 2));
  return [before[0], before[1], total[0] - before[0], total[1] - before[1]];
}

function conv(
  g: OnnxGraphBuilder,
  layer: Layer,
  config: Config,
  input: string,
  extraPads: number[] | undefined,
): string {
  const kernel = pair(config.kernelSize);
  const strides = pair(config.strides);
  const dilations = pair(config.dilationRate ?? 1);
  const weights = layer.getWeights();
  const [kh, kw, cin, cout] = weights[0].shape;
  // tfjs kernels are [kh, kw, in, out]; ONNX wants [out, in, kh, kw].
  const w = kernelToOihw(weights[0].dataSync() as Float32Array, kh, kw, cin, cout);
  const inputs = [input, g.floatInitializer(`${layer.name}_W`, [cout, cin, kh, kw], w)];
  if (config.useBias)
    inputs.push(g.floatInitializer(`${layer.name}_B`, [cout], weights[1].dataSync() as Float32Array));
  // A ZeroPadding2D before this conv already changed the input size that 'same' is computed from.
  const pads = tfPads(
    config.padding as 'same' | 'valid',
    inputSpatial(layer),
    kernel,
    strides,
    dilations,
  ).map((p, i) => p + (extraPads?.[i] ?? 0));
  const out = g.node('Conv', inputs, config.activation === 'linear' ? layer.name : `${layer.name}_linear`, {
    kernel_shape: kernel,
    strides,
    dilations,
    pads,
    group: 1,
  });
  return config.activation === 'linear' ? out : activation(g, layer, String(config.activation), out);
}

function batchNorm(g: OnnxGraphBuilder, layer: Layer, config: Config, input: string): string {
  const weights = layer.getWeights().map((t) => t.dataSync() as Float32Array);
  const channels = weights[weights.length - 1].length;
  let i = 0;
  const gamma = config.scale ? weights[i++] : new Float32Array(channels).fill(1);
  const beta = config.center ? weights[i++] : new Float32Array(channels);
  const [mean, variance] = [weights[i], weights[i + 1]];
  return g.node(
    'BatchNormalization',
    [
      input,
      g.floatInitializer(`${layer.name}_gamma`, [channels], gamma),
      g.floatInitializer(`${layer.name}_beta`, [channels], beta),
      g.floatInitializer(`${layer.name}_mean`, [channels], mean),
      g.floatInitializer(`${layer.name}_var`, [channels], variance),
    ],
    layer.name,
    { epsilon: { float: Number(config.epsilon) } },
  );
}

function activation(g: OnnxGraphBuilder, layer: Layer, name: string, input: string): string {
  if (name === 'relu') return g.node('Relu', [input], layer.name);
  if (name === 'linear') return g.node('Identity', [input], layer.name);
  throw new InvalidInputError(
    `ONNX export: layer ${layer.name} uses activation ${name}; only relu and linear are supported`,
  );
}

/** tfjs' Dense on the last axis: MatMul with its [in, units] kernel, its bias, then relu or softmax. */
function dense(g: OnnxGraphBuilder, layer: Layer, config: Config, input: string): string {
  const weights = layer.getWeights();
  const [units] = weights[0].shape.slice(-1);
  const kernel = g.floatInitializer(
    `${layer.name}_W`,
    weights[0].shape,
    weights[0].dataSync() as Float32Array,
  );
  const linear = config.activation === 'linear';
  let out = g.node(
    'MatMul',
    [input, kernel],
    !config.useBias && linear ? layer.name : `${layer.name}_matmul`,
  );
  if (config.useBias) {
    const bias = g.floatInitializer(`${layer.name}_B`, [units], weights[1].dataSync() as Float32Array);
    out = g.node('Add', [out, bias], linear ? layer.name : `${layer.name}_linear`);
  }
  if (linear) return out;
  if (config.activation === 'softmax') return g.node('Softmax', [out], layer.name, { axis: -1 });
  return activation(g, layer, String(config.activation), out);
}

function pool(
  g: OnnxGraphBuilder,
  layer: Layer,
  config: Config,
  op: 'MaxPool' | 'AveragePool',
  input: string,
): string {
  const kernel = pair(config.poolSize);
  const strides = pair(config.strides ?? config.poolSize);
  const pads = tfPads(config.padding as 'same' | 'valid', inputSpatial(layer), kernel, strides);
  // tfjs' average pooling with 'same' divides by the count of real pixels, as ONNX does without count_include_pad.
  return g.node(op, [input], layer.name, { kernel_shape: kernel, strides, pads });
}

/** tfjs' [kh, kw, in, out] kernel as ONNX's [out, in, kh, kw] (a plain loop: no tfjs kernels or tensors). */
function kernelToOihw(src: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const from = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) dst[((o * cin + i) * kh + y) * kw + x] = src[from + o];
      }
  return dst;
}

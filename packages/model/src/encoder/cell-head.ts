import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';

/*
 * A cell head ends an encoder in a classifier of scene cells: the feature map is averaged over each cell
 * of a grid x grid partition of the image, and a linear layer with a softmax says which of `classes`
 * things each cell holds. Its [grid, grid, classes] probabilities replace the feature map as the
 * encoder's output, so the decoder reads "what is in each cell" instead of features it would have to
 * learn to decode (packages/model/README.md, "Grounding of the demo's model"). Built from standard
 * layers (Reshape, Permute, Dense) so that tfjs saves and loads it, the browser runs it and
 * layers-to-onnx exports it.
 */

/** Layer names of the head, after the trunk's last layer. */
export const CELL_HEAD_LAYERS = {
  positions: 'cell_head_positions',
  byChannel: 'cell_head_by_channel',
  pool: 'cell_head_pool',
  byCell: 'cell_head_by_cell',
  classes: 'cell_head_classes',
  grid: 'cell_head_grid',
} as const;

export interface CellHeadShape {
  /** Cells per side of the partition. */
  grid: number;
  /** Classes per cell (the softmax's width). */
  classes: number;
}

/**
 * The cell of each position of an h x w feature grid, row-major: the cell of a `grid` x `grid` partition
 * that holds the position's centre.
 */
export function gridPositionCells(h: number, w: number, grid: number): Int32Array {
  const cells = new Int32Array(h * w);
  for (let i = 0; i < h; i++) {
    const row = Math.floor(((i + 0.5) / h) * grid);
    for (let j = 0; j < w; j++) cells[i * w + j] = row * grid + Math.floor(((j + 0.5) / w) * grid);
  }
  return cells;
}

/** [h*w, grid*grid]: column k averages the positions of cell k (see `gridPositionCells`). */
export function cellPoolMatrix(h: number, w: number, grid: number): Float32Array {
  if (h < grid || w < grid)
    throw new InvalidInputError(
      `cell head: a ${h}x${w} feature map cannot be split into ${grid}x${grid} cells`,
    );
  const cells = gridPositionCells(h, w, grid);
  const counts = new Float32Array(grid * grid);
  for (const cell of cells) counts[cell]++;
  const matrix = new Float32Array(h * w * grid * grid);
  cells.forEach((cell, position) => (matrix[position * grid * grid + cell] = 1 / counts[cell]));
  return matrix;
}

/**
 * `trunk` ([n, S, S, 3] -> [n, h, w, C]) followed by a cell head: [n, S, S, 3] -> [n, grid, grid, classes]
 * probabilities. The pooling layer is fixed (the cell averages, never trained); the classifier is
 * initialised from `seed` (or zeros when undefined: for weights that will be loaded).
 */
export function appendCellHead(
  trunk: tf.LayersModel,
  head: CellHeadShape,
  seed: number | undefined,
): tf.LayersModel {
  const [, h, w, channels] = trunk.outputs[0].shape as number[];
  const cells = head.grid * head.grid;
  const names = CELL_HEAD_LAYERS;
  const positions = tf.layers.reshape({ name: names.positions, targetShape: [h * w, channels] });
  const byChannel = tf.layers.permute({ name: names.byChannel, dims: [2, 1] });
  const pool = tf.layers.dense({ name: names.pool, units: cells, useBias: false, trainable: false });
  const byCell = tf.layers.permute({ name: names.byCell, dims: [2, 1] });
  const classes = tf.layers.dense({
    name: names.classes,
    units: head.classes,
    activation: 'softmax',
    kernelInitializer: seed === undefined ? 'zeros' : tf.initializers.glorotUniform({ seed: seed % 2 ** 31 }),
  });
  const gridLayer = tf.layers.reshape({
    name: names.grid,
    targetShape: [head.grid, head.grid, head.classes],
  });
  let x = trunk.outputs[0];
  for (const layer of [positions, byChannel, pool, byCell, classes, gridLayer])
    x = layer.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ name: trunk.name, inputs: trunk.inputs, outputs: x });
  const poolWeights = tf.tensor2d(cellPoolMatrix(h, w, head.grid), [h * w, cells]);
  pool.setWeights([poolWeights]);
  poolWeights.dispose();
  return model;
}

/** Sets the head's classifier: kernel [C, classes] and bias [classes], as pretraining trained them. */
export function setCellHeadClassifier(model: tf.LayersModel, kernel: Float32Array, bias: Float32Array): void {
  const layer = model.getLayer(CELL_HEAD_LAYERS.classes);
  const [kernelShape, biasShape] = layer.getWeights().map((w) => w.shape);
  const values = [tf.tensor(kernel, kernelShape), tf.tensor(bias, biasShape)];
  layer.setWeights(values);
  tf.dispose(values);
}

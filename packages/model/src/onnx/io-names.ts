/** Names of the encoder ONNX graph's input and outputs (a module of its own: the browser build reads them). */
export const ONNX_ENCODER_INPUT = 'image';
export const ONNX_POOLED_OUTPUT = 'pooled';
export const ONNX_GRID_OUTPUT = 'grid';

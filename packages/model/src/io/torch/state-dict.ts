/** Element types a state dict's tensors may hold (torch storage classes / safetensors dtypes). */
export type TensorDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** One tensor of a state dict, its values converted to float32 (row-major, contiguous). */
export interface StoredTensor {
  /** The type it was stored as (float16, int64, ... are widened or narrowed to float32 in `data`). */
  dtype: TensorDtype;
  shape: number[];
  data: Float32Array;
}

/** A state dict: tensors by name, in file order. */
export type StateDict = Map<string, StoredTensor>;

export const BYTES_PER_ELEMENT: Record<TensorDtype, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

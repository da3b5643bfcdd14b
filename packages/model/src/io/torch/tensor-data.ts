import type { TensorDtype } from './state-dict';
import { BYTES_PER_ELEMENT } from './state-dict';

/** IEEE half -> float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Decodes `count` little-endian elements of `dtype` starting at `bytes[0]` into float32. Copies, so the
 * result never aliases the file's buffer (and needs no alignment).
 */
export function decodeElements(bytes: Uint8Array, dtype: TensorDtype, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * BYTES_PER_ELEMENT[dtype]);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32':
      // (JavaScript engines are little-endian everywhere tfjs runs.) An aligned view is copied in one go.
      if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      else out.set(new Float32Array(bytes.slice(0, count * 4).buffer));
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'bfloat16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

/**
 * The elements of a strided view (`offset`, `shape`, `stride`, in elements) of a flat storage, as a
 * contiguous row-major array. State dicts are nearly always contiguous; views (a slice of a shared
 * storage, a transposed weight) are gathered element by element.
 */
export function gatherStrided(
  storage: Float32Array,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const contiguous = contiguousStrides(shape);
  if (shape.every((size, d) => size === 1 || stride[d] === contiguous[d])) {
    // The usual case: one tensor per storage, used whole (no copy).
    return offset === 0 && count === storage.length ? storage : storage.slice(offset, offset + count);
  }
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d] * stride[d];
    out[i] = storage[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * IEEE 754 half precision, stored as Uint16Array bits: feature shards may keep their grid in it (half the
 * disk, I/O and memory of float32; ResNet features lose nothing a decoder can use, see
 * packages/training/README.md). Conversion is round-to-nearest-even, with overflow to infinity.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value -> float16 bits. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit bit in, round to nearest even.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let bits = mantissa >>> shift;
    if (rest > half || (rest === half && bits & 1)) bits += 1;
    return sign | bits;
  }
  const rest = mantissa & 0x1fff;
  let bits = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits += 1; // may carry into the exponent: correct
  return sign | bits;
}

let table: Float32Array | undefined;

/** float16 bits -> float32, through a 64 K-entry table (256 KB, built on first use). */
export function float16Table(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    table[h] =
      exponent === 0
        ? sign * mantissa * 2 ** -24
        : exponent === 0x1f
          ? mantissa
            ? NaN
            : sign * Infinity
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

/** float32 array -> float16 bits. */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}

/** float16 bits -> float32 values, into `out` at `offset` (a new array when omitted). */
export function fromFloat16(bits: Uint16Array, out?: Float32Array, offset = 0): Float32Array {
  const t = float16Table();
  const target = out ?? new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) target[offset + i] = t[bits[i]];
  return target;
}

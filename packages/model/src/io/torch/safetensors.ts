import { CorruptArtifactError } from '@captioner/core/errors';
import { z } from 'zod';
import type { StateDict, TensorDtype } from './state-dict';
import { BYTES_PER_ELEMENT, elementCount } from './state-dict';
import { decodeElements } from './tensor-data';

/*
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
 * JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } }`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the header. Data only: there is
 * nothing in it that could run code.
 */

const DTYPES: Record<string, TensorDtype> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** The format's own limit on the header (100 MB): a larger length means a damaged or foreign file. */
const MAX_HEADER_BYTES = 100_000_000;

const entrySchema = z.strictObject({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** True when the bytes start like a safetensors file (a plausible header length, then `{`). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(MAX_HEADER_BYTES) && bytes[8] === 0x7b;
}

export function readSafetensors(bytes: Uint8Array, label: string): StateDict {
  const corrupt = (reason: string) =>
    new CorruptArtifactError(`${label}: ${reason} (truncated or corrupt file)`);
  if (bytes.length < 8) throw corrupt('shorter than the 8-byte header length');
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length)
    throw corrupt(`header length ${headerLength} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch {
    throw corrupt('the JSON header does not parse');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw corrupt('the header is not a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const out: StateDict = new Map();
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  // Tensors are stored in offset order, which is not necessarily the header's key order.
  const parsed = entries.map(([name, value]) => {
    const entry = entrySchema.safeParse(value);
    if (!entry.success) throw corrupt(`header entry ${name}: ${entry.error.issues[0].message}`);
    return [name, entry.data] as const;
  });
  for (const [name, entry] of parsed) {
    const dtype = DTYPES[entry.dtype];
    if (!dtype)
      throw new CorruptArtifactError(`${label}: ${name} has dtype ${entry.dtype}, which is not supported`);
    const [begin, end] = entry.data_offsets;
    const count = elementCount(entry.shape);
    if (end < begin || end > data.length)
      throw corrupt(`${name}'s data [${begin}, ${end}) lies outside the file`);
    if (end - begin !== count * BYTES_PER_ELEMENT[dtype])
      throw corrupt(
        `${name} has ${end - begin} bytes for shape [${entry.shape.join(',')}] of ${entry.dtype}`,
      );
    out.set(name, {
      dtype,
      shape: entry.shape,
      data: decodeElements(data.subarray(begin, end), dtype, count),
    });
  }
  return out;
}

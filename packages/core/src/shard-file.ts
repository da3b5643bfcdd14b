import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { z } from 'zod';
import { CorruptArtifactError, InvalidInputError } from './errors';
import { writeFileAtomic } from './files';

/**
 * The shard file format shared by image shards and feature shards (documented in the README):
 *
 *   bytes 0..7    magic "CAPSHRD1"
 *   bytes 8..11   header length H, uint32 little-endian
 *   bytes 12..    header, H bytes of UTF-8 JSON (see shardHeaderSchema)
 *   then          payload: the tensors back to back, each at its `offset` from the payload start
 *
 * The header carries the SHA-256 of the payload and the total payload length, so a truncated or
 * altered shard is detected on read. Files are written atomically (temporary file, then rename).
 */
const MAGIC = Buffer.from('CAPSHRD1', 'ascii');

/** `float16` is stored and read as Uint16Array bits (see float16.ts). */
export const TENSOR_DTYPES = ['uint8', 'int32', 'float32', 'float16'] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

const tensorEntrySchema = z.object({
  name: z.string(),
  dtype: z.enum(TENSOR_DTYPES),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
  byteLength: z.number().int().nonnegative(),
});

export const shardHeaderSchema = z.object({
  /** What the shard holds, e.g. `images` or `features`. */
  kind: z.string(),
  formatVersion: z.literal(1),
  /** Item ids (image ids), in row order of every tensor. */
  ids: z.array(z.string()),
  tensors: z.array(tensorEntrySchema),
  /** Free-form settings that produced the shard (image size, normalization, encoder). */
  meta: z.record(z.string(), z.unknown()),
  payloadBytes: z.number().int().nonnegative(),
  sha256: z.string().length(64),
});
export type ShardHeader = z.infer<typeof shardHeaderSchema>;

export type TensorData = Uint8Array | Int32Array | Float32Array | Uint16Array;
export interface ShardTensor {
  dtype: TensorDtype;
  shape: number[];
  data: TensorData;
}
export interface ShardContent {
  kind: string;
  ids: string[];
  tensors: Record<string, ShardTensor>;
  meta: Record<string, unknown>;
}

function dtypeOf(data: TensorData): TensorDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint16Array) return 'float16';
  return 'uint8';
}

/** Writes a shard atomically. */
export async function writeShardFile(file: string, content: ShardContent): Promise<ShardHeader> {
  const entries: z.infer<typeof tensorEntrySchema>[] = [];
  const buffers: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(content.tensors)) {
    const expected = tensor.shape.reduce((a, b) => a * b, 1);
    if (expected !== tensor.data.length) {
      throw new InvalidInputError(
        `${file}: shard tensor ${name}: shape ${tensor.shape.join('x')} does not match ${tensor.data.length} values`,
      );
    }
    if (dtypeOf(tensor.data) !== tensor.dtype)
      throw new InvalidInputError(
        `${file}: shard tensor ${name}: dtype ${dtypeOf(tensor.data)} does not match ${tensor.dtype}`,
      );
    const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    // Keep every tensor 4-byte aligned so readers can view it without copying.
    const padding = (4 - (offset % 4)) % 4;
    if (padding) buffers.push(Buffer.alloc(padding));
    offset += padding;
    entries.push({ name, dtype: tensor.dtype, shape: tensor.shape, offset, byteLength: bytes.byteLength });
    buffers.push(bytes);
    offset += bytes.byteLength;
  }
  const payload = Buffer.concat(buffers);
  const header: ShardHeader = {
    kind: content.kind,
    formatVersion: 1,
    ids: content.ids,
    tensors: entries,
    meta: content.meta,
    payloadBytes: payload.byteLength,
    sha256: createHash('sha256').update(payload).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.byteLength);
  await writeFileAtomic(file, Buffer.concat([MAGIC, length, headerBytes, payload]));
  return header;
}

function parseHeader(file: string, bytes: Buffer): { header: ShardHeader; payloadStart: number } {
  if (bytes.byteLength < 12 || !bytes.subarray(0, 8).equals(MAGIC)) {
    throw new CorruptArtifactError(`${file}: not a Captioner shard (bad magic)`);
  }
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.byteLength) throw new CorruptArtifactError(`${file}: truncated header`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8'));
  } catch {
    throw new CorruptArtifactError(`${file}: header is not valid JSON`);
  }
  const parsed = shardHeaderSchema.safeParse(json);
  if (!parsed.success)
    throw new CorruptArtifactError(`${file}: invalid header (${parsed.error.issues[0].message})`);
  return { header: parsed.data, payloadStart: 12 + headerLength };
}

/** Reads and verifies a shard (length and SHA-256); throws CorruptArtifactError when it is damaged. */
export async function readShardFile(file: string): Promise<ShardContent & { header: ShardHeader }> {
  const bytes = await fs.readFile(file);
  const { header, payloadStart } = parseHeader(file, bytes);
  const payload = bytes.subarray(payloadStart);
  if (payload.byteLength !== header.payloadBytes) {
    throw new CorruptArtifactError(
      `${file}: payload is ${payload.byteLength} bytes, header says ${header.payloadBytes}`,
    );
  }
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) {
    throw new CorruptArtifactError(`${file}: checksum mismatch`);
  }
  const tensors: Record<string, ShardTensor> = {};
  for (const entry of header.tensors) {
    const copy = payload.subarray(entry.offset, entry.offset + entry.byteLength);
    // Copy into a fresh, aligned ArrayBuffer: the Buffer pool offset may not be aligned.
    const buffer = copy.buffer.slice(copy.byteOffset, copy.byteOffset + copy.byteLength);
    const data =
      entry.dtype === 'float32'
        ? new Float32Array(buffer)
        : entry.dtype === 'int32'
          ? new Int32Array(buffer)
          : entry.dtype === 'float16'
            ? new Uint16Array(buffer)
            : new Uint8Array(buffer);
    tensors[entry.name] = { dtype: entry.dtype, shape: entry.shape, data };
  }
  return { kind: header.kind, ids: header.ids, tensors, meta: header.meta, header };
}

/**
 * The header of a shard, reading only its first bytes (no payload, no checksum): what a streaming reader
 * needs to plan which shards hold which ids before it reads any of them.
 */
export async function readShardHeader(file: string): Promise<ShardHeader> {
  const handle = await fs.open(file, 'r');
  try {
    const prefix = Buffer.alloc(12);
    const { bytesRead } = await handle.read(prefix, 0, 12, 0);
    if (bytesRead < 12 || !prefix.subarray(0, 8).equals(MAGIC))
      throw new CorruptArtifactError(`${file}: not a Captioner shard (bad magic)`);
    const length = prefix.readUInt32LE(8);
    const bytes = Buffer.alloc(12 + length);
    prefix.copy(bytes);
    const read = await handle.read(bytes, 12, length, 12);
    if (read.bytesRead < length) throw new CorruptArtifactError(`${file}: truncated header`);
    return parseHeader(file, bytes).header;
  } finally {
    await handle.close();
  }
}

/** True when the file exists and passes verification; used to skip complete shards on re-run. */
export async function isValidShardFile(file: string): Promise<boolean> {
  try {
    await readShardFile(file);
    return true;
  } catch {
    return false;
  }
}

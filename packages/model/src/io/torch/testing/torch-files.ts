import { crc32 } from '../crc32';

/*
 * Test helpers that write what torch.save writes, without Python: a stored zip archive and protocol-2
 * pickles made of the same opcodes torch emits. Used to test the readers' successes and refusals byte by
 * byte; the parity test (feature-extraction) checks them against files torch itself wrote.
 */

/** A zip archive of stored entries (what torch.save writes, minus its 64-byte alignment padding). */
export function writeZip(entries: [string, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 20, true);
    entry.setUint16(6, 20, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, data.length, true);
    entry.setUint32(24, data.length, true);
    entry.setUint16(28, nameBytes.length, true);
    entry.setUint32(42, offset, true);
    chunks.push(new Uint8Array(local.buffer), nameBytes, data);
    central.push(new Uint8Array(entry.buffer), nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = central.reduce((n, c) => n + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return concat([...chunks, ...central, new Uint8Array(end.buffer)]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Builds a pickle opcode by opcode. */
export class PickleWriter {
  private readonly parts: number[] = [0x80, 2];

  private raw(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  private u32(n: number): number[] {
    return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  str(value: string): this {
    const bytes = new TextEncoder().encode(value);
    return this.raw(0x58, ...this.u32(bytes.length), ...bytes);
  }
  int(value: number): this {
    return this.raw(0x4a, ...this.u32(value));
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  false(): this {
    return this.raw(0x89);
  }
  persid(): this {
    return this.raw(0x51);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  op(code: number): this {
    return this.raw(code);
  }
  /** `(size...)` as a tuple of ints. */
  ints(values: number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  stop(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

export interface FakeTensor {
  name: string;
  storage: string;
  storageType: string;
  numel: number;
  offset: number;
  size: number[];
  stride: number[];
}

/** The pickle torch.save writes for an OrderedDict of tensors (with `_metadata`, as module.state_dict() has). */
export function stateDictPickle(tensors: FakeTensor[]): Uint8Array {
  const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) {
    w.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark()
      .str('storage')
      .global('torch', t.storageType)
      .str(t.storage)
      .str('cpu')
      .int(t.numel)
      .tuple()
      .persid();
    w.int(t.offset).ints(t.size).ints(t.stride).false();
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.tuple().reduce();
  }
  w.setitems();
  w.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().op(0x73).build();
  return w.stop();
}

/** A torch.save-style archive: `archive/data.pkl`, `archive/data/<key>` and `archive/version`. */
export function torchArchive(pickle: Uint8Array, storages: Record<string, Uint8Array>): Uint8Array {
  return writeZip([
    ['archive/data.pkl', pickle],
    ...Object.entries(storages).map(([key, data]): [string, Uint8Array] => [`archive/data/${key}`, data]),
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}

export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A safetensors file of float32 tensors (optionally with other dtypes' raw bytes). */
export function safetensorsFile(
  tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[],
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = new DataView(new ArrayBuffer(8));
  length.setBigUint64(0, BigInt(json.length), true);
  return concat([
    new Uint8Array(length.buffer),
    new TextEncoder().encode(json),
    ...tensors.map((t) => t.bytes),
  ]);
}

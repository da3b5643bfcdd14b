import { CorruptArtifactError } from '@captioner/core/errors';
import { crc32 } from './crc32';

/*
 * The part of the zip format torch.save writes: stored (uncompressed) entries, a central directory, and
 * ZIP64 records. Reads from memory (no Node modules), checks every entry's CRC-32 when it is read, and
 * reports truncated or damaged archives as one CorruptArtifactError naming the file.
 */

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_ENTRY = 0x04034b50;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipArchive {
  private readonly entries = new Map<string, Entry>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    /** The file's name, for error messages. */
    private readonly label: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  /** Entry names in directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The bytes of one entry (a view, not a copy), CRC-checked. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw this.corrupt(`no entry ${name}`);
    if (entry.method !== 0)
      throw this.corrupt(
        `entry ${name} is compressed (method ${entry.method}); torch.save stores entries uncompressed`,
      );
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || this.view.getUint32(at, true) !== LOCAL_ENTRY)
      throw this.corrupt(`entry ${name}: no local header at byte ${at}`);
    const start = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    if (start + entry.size > this.bytes.length)
      throw this.corrupt(`entry ${name} runs past the end of the file`);
    const data = this.bytes.subarray(start, start + entry.size);
    if (crc32(data) !== entry.crc) throw this.corrupt(`entry ${name} fails its CRC-32 check`);
    return data;
  }

  private corrupt(reason: string): CorruptArtifactError {
    return new CorruptArtifactError(`${this.label}: ${reason} (truncated or corrupt file)`);
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt(`impossible 64-bit size at byte ${at}`);
    return Number(value);
  }

  /** Finds the end-of-central-directory record (it ends the file, followed by a comment of <= 64 KiB). */
  private findEndRecord(): number {
    const lowest = Math.max(0, this.bytes.length - 22 - 0xffff);
    for (let at = this.bytes.length - 22; at >= lowest; at--) {
      if (this.u32(at) === EOCD && at + 22 + this.u16(at + 20) === this.bytes.length) return at;
    }
    throw this.corrupt('no zip end-of-central-directory record');
  }

  private readCentralDirectory(): void {
    if (this.bytes.length < 22) throw this.corrupt('too short to be a zip archive');
    const end = this.findEndRecord();
    let count = this.u16(end + 10);
    let size = this.u32(end + 12);
    let offset = this.u32(end + 16);
    const locator = end - 20;
    if (locator >= 0 && this.u32(locator) === ZIP64_LOCATOR) {
      const at = this.u64(locator + 8);
      if (at + 56 > this.bytes.length || this.u32(at) !== ZIP64_EOCD)
        throw this.corrupt('bad ZIP64 end record');
      count = this.u64(at + 32);
      size = this.u64(at + 40);
      offset = this.u64(at + 48);
    }
    if (offset + size > this.bytes.length)
      throw this.corrupt('the central directory runs past the end of the file');
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > offset + size || this.u32(at) !== CENTRAL_ENTRY)
        throw this.corrupt(`central directory entry ${i} is damaged`);
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      const name = new TextDecoder().decode(this.bytes.subarray(at + 46, at + 46 + nameLength));
      const entry: Entry = {
        name,
        method: this.u16(at + 10),
        crc: this.u32(at + 16),
        compressedSize: this.u32(at + 20),
        size: this.u32(at + 24),
        localHeaderOffset: this.u32(at + 42),
      };
      this.applyZip64Extra(entry, at + 46 + nameLength, extraLength);
      this.entries.set(name, entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  /** ZIP64 extra field (id 1): the 64-bit values of the fields that hold 0xFFFFFFFF, in this order. */
  private applyZip64Extra(entry: Entry, start: number, length: number): void {
    for (let at = start; at + 4 <= start + length; ) {
      const id = this.u16(at);
      const fieldLength = this.u16(at + 2);
      if (id === 1) {
        let p = at + 4;
        const next = (): number => {
          if (p + 8 > at + 4 + fieldLength) throw this.corrupt(`entry ${entry.name}: short ZIP64 field`);
          const value = this.u64(p);
          p += 8;
          return value;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      }
      at += 4 + fieldLength;
    }
  }
}

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  );
}

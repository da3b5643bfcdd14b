import { describe, expect, it } from 'vitest';
import { CorruptArtifactError, InvalidInputError } from '@captioner/core';
import { parseStateDict } from './parse-state-dict';
import {
  PickleWriter,
  float32Bytes,
  safetensorsFile,
  stateDictPickle,
  torchArchive,
  writeZip,
} from './testing/torch-files';

/** The error a call throws (the test fails when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function int64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
}

function float16Bytes(values: number[]): Uint8Array {
  // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
  const table: Record<number, number> = { 1: 0x3c00, [-2]: 0xc000, 0.5: 0x3800 };
  return new Uint8Array(Uint16Array.from(values.map((v) => table[v])).buffer);
}

/** A small torch.save-style state dict: a float32 matrix, its transpose (a view of the same storage), int64 and float16. */
function goodArchive(): Uint8Array {
  const pickle = stateDictPickle([
    {
      name: 'w',
      storage: '0',
      storageType: 'FloatStorage',
      numel: 6,
      offset: 0,
      size: [2, 3],
      stride: [3, 1],
    },
    {
      name: 'w_t',
      storage: '0',
      storageType: 'FloatStorage',
      numel: 6,
      offset: 0,
      size: [3, 2],
      stride: [1, 3],
    },
    { name: 'tail', storage: '0', storageType: 'FloatStorage', numel: 6, offset: 4, size: [2], stride: [1] },
    { name: 'count', storage: '1', storageType: 'LongStorage', numel: 1, offset: 0, size: [], stride: [] },
    { name: 'half', storage: '2', storageType: 'HalfStorage', numel: 3, offset: 0, size: [3], stride: [1] },
  ]);
  return torchArchive(pickle, {
    '0': float32Bytes([1, 2, 3, 4, 5, 6]),
    '1': int64Bytes([12345]),
    '2': float16Bytes([1, -2, 0.5]),
  });
}

describe('parseStateDict: PyTorch zip files', () => {
  it('reads tensors, strided views of shared storages, int64 and float16, in file order', () => {
    const dict = parseStateDict(goodArchive(), 'good.pth');
    expect([...dict.keys()]).toEqual(['w', 'w_t', 'tail', 'count', 'half']);
    expect(dict.get('w')).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(Array.from(dict.get('w')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(dict.get('w_t')!.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(dict.get('tail')!.data)).toEqual([5, 6]);
    expect(dict.get('count')).toMatchObject({ dtype: 'int64', shape: [] });
    expect(Array.from(dict.get('count')!.data)).toEqual([12345]);
    expect(Array.from(dict.get('half')!.data)).toEqual([1, -2, 0.5]);
  });

  it('refuses a pickle whose __reduce__ would call os.system, naming it in one line', () => {
    // What pickle.dumps writes for an object whose __reduce__ returns (os.system, ('touch /tmp/x',)).
    const pickle = new PickleWriter()
      .global('posix', 'system')
      .mark()
      .str('touch /tmp/x')
      .tuple()
      .reduce()
      .stop();
    const error = thrown(() => parseStateDict(torchArchive(pickle, {}), 'evil.pth'));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(
      'evil.pth: refused: the pickle references posix.system; a state dict never contains it (loading a file never runs code)',
    );
  });

  it('refuses globals, calls and object-building opcodes a state dict does not use', () => {
    const cases: [Uint8Array, RegExp][] = [
      // builtins.eval, even inside an otherwise valid dict
      [
        new PickleWriter().emptyDict().str('x').global('builtins', 'eval').op(0x73).stop(),
        /references builtins\.eval/,
      ],
      // an allowed name used as a callable it is not: torch.FloatStorage(...)
      [
        new PickleWriter().global('torch', 'FloatStorage').emptyTuple().reduce().stop(),
        /calls torch\.FloatStorage/,
      ],
      // NEWOBJ: cls.__new__(cls, *args)
      [new PickleWriter().global('collections', 'OrderedDict').emptyTuple().op(0x81).stop(), /NEWOBJ/],
      // a persistent id that is not a storage
      [new PickleWriter().str('not a storage').persid().stop(), /persistent id that is not a storage/],
      // BUILD (setstate) on a tensor-less list
      [new PickleWriter().op(0x5d).emptyDict().build().stop(), /setting the state of a tuple\/list/],
    ];
    for (const [pickle, message] of cases) {
      const error = thrown(() => parseStateDict(torchArchive(pickle, {}), 'bad.pth'));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
  });

  it('refuses truncated and corrupt files with one line naming the file', () => {
    const good = goodArchive();
    const cases: [Uint8Array, RegExp][] = [
      [
        good.subarray(0, Math.floor(good.length / 2)),
        /truncated\.pth: no zip end-of-central-directory record/,
      ],
      [good.subarray(0, good.length - 5), /truncated\.pth: no zip end-of-central-directory record/],
    ];
    // A flipped byte inside a storage: the entry's CRC-32 no longer matches.
    const flipped = good.slice();
    const at = findBytes(flipped, float32Bytes([1, 2, 3, 4, 5, 6]));
    flipped[at + 5] ^= 0xff;
    cases.push([flipped, /truncated\.pth: entry archive\/data\/0 fails its CRC-32 check/]);
    // A damaged central directory.
    const damaged = good.slice();
    damaged[findBytes(damaged, Uint8Array.from([0x50, 0x4b, 0x01, 0x02])) + 1] = 0;
    cases.push([damaged, /central directory entry 0 is damaged/]);
    // A pickle cut short (the archive itself intact).
    const pickle = stateDictPickle([
      { name: 'w', storage: '0', storageType: 'FloatStorage', numel: 1, offset: 0, size: [1], stride: [1] },
    ]);
    cases.push([
      torchArchive(pickle.subarray(0, 40), { '0': float32Bytes([1]) }),
      /pickle ends (inside an opcode|without a STOP)/,
    ]);
    // A storage shorter than its tensor.
    cases.push([
      torchArchive(pickle, { '0': new Uint8Array(2) }),
      /storage archive\/data\/0 holds 2 bytes, 4 expected/,
    ]);
    for (const [bytes, message] of cases) {
      const error = thrown(() => parseStateDict(bytes, 'truncated.pth'));
      expect(error).toBeInstanceOf(CorruptArtifactError);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
  });

  it('refuses files that are neither format, and the legacy torch.save format, by name', () => {
    expect(thrown(() => parseStateDict(new TextEncoder().encode('hello world'), 'x.bin')).message).toBe(
      'x.bin: neither a PyTorch zip file (.pth/.pt) nor safetensors',
    );
    expect(
      thrown(() => parseStateDict(Uint8Array.from([0x80, 2, 0x8a, 0x0a, 0]), 'old.pth')).message,
    ).toMatch(/old\.pth: legacy torch\.save format/);
    expect(thrown(() => parseStateDict(writeZip([['a.txt', new Uint8Array(3)]]), 'a.zip')).message).toMatch(
      /a\.zip: no data\.pkl in the archive/,
    );
  });
});

describe('parseStateDict: safetensors', () => {
  const file = () =>
    safetensorsFile([
      { name: 'a', dtype: 'F32', shape: [2, 2], bytes: float32Bytes([1, 2, 3, 4]) },
      { name: 'n', dtype: 'I64', shape: [], bytes: int64Bytes([7]) },
      { name: 'h', dtype: 'F16', shape: [3], bytes: float16Bytes([0.5, 1, -2]) },
    ]);

  it('reads every tensor', () => {
    const dict = parseStateDict(file(), 'w.safetensors');
    expect([...dict.keys()]).toEqual(['a', 'n', 'h']);
    expect(dict.get('a')).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect(Array.from(dict.get('a')!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(dict.get('n')!.data)).toEqual([7]);
    expect(Array.from(dict.get('h')!.data)).toEqual([0.5, 1, -2]);
  });

  it('refuses truncated files and inconsistent headers with one line', () => {
    const good = file();
    const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));
    const edit = (text: (header: string) => string) => {
      const header = new TextDecoder().decode(good.subarray(8, headerEnd));
      return safetensorsRaw(text(header), good.subarray(headerEnd));
    };
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, good.length - 3), /h's data \[\d+, \d+\) lies outside the file/],
      [good.subarray(0, headerEnd - 10), /header length \d+ runs past the end of the file/],
      [edit((h) => h.replace('[2,2]', '[2,3]')), /a has 16 bytes for shape \[2,3\] of F32/],
      [edit((h) => h.replace('"F32"', '"F8_E4M3"')), /a has dtype F8_E4M3, which is not supported/],
      [edit((h) => h.replace('{', '[')), /the JSON header does not parse/],
    ];
    for (const [bytes, message] of cases) {
      const error = thrown(() => parseStateDict(bytes, 'w.safetensors'));
      expect(error).toBeInstanceOf(CorruptArtifactError);
      expect(error.message).toMatch(/^w\.safetensors: /);
      expect(error.message).toMatch(message);
    }
  });
});

function safetensorsRaw(header: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

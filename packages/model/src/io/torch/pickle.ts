import { CorruptArtifactError, InvalidInputError } from '@captioner/core/errors';

/*
 * A restricted unpickler: a pickle stack machine (protocols 2-5) that builds only plain values. It never
 * imports or calls anything itself: a GLOBAL is handed to `hooks.findClass`, which returns a token for
 * the few names it allows and refuses the rest, and REDUCE/BUILD/BINPERSID go to the hooks too. Opcodes
 * that create arbitrary objects (INST, OBJ, NEWOBJ, EXT*) are refused outright. Dicts become `Map`s,
 * tuples and lists arrays, strings strings, ints numbers (bigints when they do not fit), floats numbers.
 */

export interface PickleHooks {
  /** A GLOBAL / STACK_GLOBAL `module.name`: return a token for an allowed name, throw to refuse. */
  findClass(module: string, name: string): unknown;
  /** BINPERSID: the value a persistent id stands for (torch: a storage). */
  persistentLoad(pid: unknown): unknown;
  /** REDUCE: `callable(*args)`, `callable` being a value `findClass` returned. */
  reduce(callable: unknown, args: unknown[]): unknown;
  /** BUILD: `obj.__setstate__(state)`; returns the object. */
  build(obj: unknown, state: unknown): unknown;
}

/** Thrown by hooks (and the machine) when a pickle asks for something a state dict never contains. */
export function refusal(label: string, what: string): InvalidInputError {
  return new InvalidInputError(
    `${label}: refused: ${what}; a state dict never contains it (loading a file never runs code)`,
  );
}

const REFUSED_OPCODES: Record<number, string> = {
  0x69: 'INST (creates an object of any class)',
  0x6f: 'OBJ (creates an object of any class)',
  0x81: 'NEWOBJ (creates an object of any class)',
  0x92: 'NEWOBJ_EX (creates an object of any class)',
  0x82: 'EXT1 (extension registry)',
  0x83: 'EXT2 (extension registry)',
  0x84: 'EXT4 (extension registry)',
  0x50: 'PERSID (text persistent id)',
};

export function unpickle(bytes: Uint8Array, label: string, hooks: PickleHooks): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let at = 0;

  const corrupt = (reason: string) =>
    new CorruptArtifactError(`${label}: ${reason} (truncated or corrupt file)`);
  const need = (n: number) => {
    if (at + n > bytes.length) throw corrupt(`pickle ends inside an opcode at byte ${at}`);
  };
  const u8 = () => (need(1), bytes[at++]);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const u64 = () => {
    need(8);
    const value = view.getBigUint64(at, true);
    at += 8;
    if (value > BigInt(bytes.length)) throw corrupt(`length ${value} beyond the end of the pickle`);
    return Number(value);
  };
  const take = (n: number) => (need(n), (at += n), bytes.subarray(at - n, at));
  const utf8 = (n: number) => {
    try {
      return text.decode(take(n));
    } catch (error) {
      if (error instanceof CorruptArtifactError) throw error;
      throw corrupt(`invalid UTF-8 string at byte ${at - n}`);
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]))
      throw corrupt(`pickle stack underflow at byte ${at}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw corrupt(`pickle stack underflow at byte ${at}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw corrupt(`pickle has no MARK before byte ${at}`);
    return stack.splice(mark);
  };
  const memoGet = (key: number) => {
    if (!memo.has(key)) throw corrupt(`pickle memo ${key} used before it is set`);
    return memo.get(key);
  };
  const asDict = (value: unknown, op: string): Map<unknown, unknown> => {
    if (!(value instanceof Map)) throw refusal(label, `${op} on a ${describe(value)}, not a dict`);
    return value;
  };
  const asList = (value: unknown, op: string): unknown[] => {
    if (!Array.isArray(value)) throw refusal(label, `${op} on a ${describe(value)}, not a list`);
    return value;
  };
  const setItems = (dict: Map<unknown, unknown>, items: unknown[]) => {
    if (items.length % 2 !== 0) throw corrupt('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const littleEndianInt = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw[raw.length - 1] & 0x80) value -= 1n << BigInt(raw.length * 8);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  };

  for (;;) {
    const opAt = at;
    if (at >= bytes.length) throw corrupt('pickle ends without a STOP opcode');
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw corrupt('unknown pickle protocol');
        break;
      case 0x95: // FRAME: a length prefix only; the opcodes follow inline
        need(8);
        at += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) throw corrupt('pickle stops with a malformed stack');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) throw corrupt('negative LONG4 length');
        stack.push(littleEndianInt(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(new TextDecoder('latin1').decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(new TextDecoder('latin1').decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        asList(top(), 'APPEND').push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top(), 'APPENDS').push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        asDict(top(), 'SETITEM').set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(asDict(top(), 'SETITEMS'), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const line = () => {
          const end = bytes.indexOf(0x0a, at);
          if (end < 0) throw corrupt(`pickle ends inside an opcode at byte ${at}`);
          const value = new TextDecoder('latin1').decode(bytes.subarray(at, end));
          at = end + 1;
          return value;
        };
        const module = line();
        stack.push(hooks.findClass(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw corrupt('STACK_GLOBAL without two strings');
        stack.push(hooks.findClass(module, name));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!Array.isArray(args)) throw corrupt('REDUCE without an argument tuple');
        stack.push(hooks.reduce(callable, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        stack.push(hooks.build(pop(), state));
        break;
      }
      default: {
        const refused = REFUSED_OPCODES[op];
        if (refused) throw refusal(label, `pickle opcode ${refused} at byte ${opAt}`);
        throw corrupt(
          `unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opAt}`,
        );
      }
    }
  }
}

/** A short description of a pickled value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'dict';
  if (Array.isArray(value)) return 'tuple/list';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return (value as { constructor: { name: string } }).constructor.name;
  return typeof value;
}

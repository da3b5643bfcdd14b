import { CorruptArtifactError, InvalidInputError } from '@captioner/core/errors';
import { describe, refusal, unpickle } from './pickle';
import type { StateDict, StoredTensor, TensorDtype } from './state-dict';
import { BYTES_PER_ELEMENT, elementCount } from './state-dict';
import { decodeElements, gatherStrided } from './tensor-data';
import { ZipArchive } from './zip-reader';

/*
 * PyTorch's `.pth`/`.pt` files as torch.save has written them since 1.6: a zip archive holding
 * `<name>/data.pkl` (the pickled object, tensors as persistent references to storages) and one entry
 * `<name>/data/<key>` of raw little-endian bytes per storage. The pickle may only use the names a state
 * dict needs (below); anything else is refused before it could mean anything.
 */

/** torch.<X>Storage classes a state dict's persistent ids name, and their element types. */
const STORAGE_TYPES: Record<string, TensorDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The callables REDUCE may apply: what torch.save emits for an (ordered) dict of tensors. */
const CALLABLES = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
] as const;
type CallableName = (typeof CALLABLES)[number];

/** A GLOBAL the restricted unpickler allowed: a name, never a Python object. */
class AllowedGlobal {
  constructor(
    readonly qualifiedName: string,
    /** Set for torch.<X>Storage: usable only inside a persistent id, never called. */
    readonly storageDtype?: TensorDtype,
  ) {}
}

/** A storage as a persistent id names it, with its decoded elements. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: TensorDtype,
    readonly values: Float32Array,
  ) {}
}

class Tensor implements StoredTensor {
  constructor(
    readonly dtype: TensorDtype,
    readonly shape: number[],
    readonly data: Float32Array,
  ) {}
}

/** True when the bytes look like the legacy (pre-1.6) torch.save format: a bare pickle of a magic number. */
export function looksLikeLegacyTorch(bytes: Uint8Array): boolean {
  return bytes.length > 4 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

/** Reads the state dict of a torch.save zip file. `label` (the file name) prefixes every error. */
export function readPytorchStateDict(bytes: Uint8Array, label: string): StateDict {
  const zip = new ZipArchive(bytes, label);
  const pickleName = zip.names().find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pickleName)
    throw new CorruptArtifactError(`${label}: no data.pkl in the archive (not a torch.save file)`);
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little')
      throw new InvalidInputError(`${label}: byte order ${order} is not supported (only little-endian)`);
  }

  const storages = new Map<string, StorageRef>();
  const loadStorage = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage')
      throw refusal(label, `a persistent id that is not a storage (${describe(pid)})`);
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof AllowedGlobal) || !type.storageDtype)
      throw refusal(label, `a persistent id whose type is ${describe(type)}, not a torch storage class`);
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0)
      throw new CorruptArtifactError(`${label}: malformed storage reference ${JSON.stringify(key)}`);
    const cached = storages.get(key);
    if (cached) return cached;
    const entry = `${prefix}data/${key}`;
    if (!zip.has(entry))
      throw new CorruptArtifactError(`${label}: storage ${entry} is missing (truncated or corrupt file)`);
    const raw = zip.read(entry);
    const needed = numel * BYTES_PER_ELEMENT[type.storageDtype];
    if (raw.length < needed)
      throw new CorruptArtifactError(
        `${label}: storage ${entry} holds ${raw.length} bytes, ${needed} expected`,
      );
    const storage = new StorageRef(key, type.storageDtype, decodeElements(raw, type.storageDtype, numel));
    storages.set(key, storage);
    return storage;
  };

  const root = unpickle(zip.read(pickleName), `${label} (${pickleName})`, {
    findClass(module, name) {
      const qualified = `${module}.${name}`;
      if (module === 'torch' && STORAGE_TYPES[name]) return new AllowedGlobal(qualified, STORAGE_TYPES[name]);
      if ((CALLABLES as readonly string[]).includes(qualified)) return new AllowedGlobal(qualified);
      throw refusal(label, `the pickle references ${qualified}`);
    },
    persistentLoad: loadStorage,
    reduce(callable, args) {
      if (!(callable instanceof AllowedGlobal) || callable.storageDtype)
        throw refusal(
          label,
          `the pickle calls ${callable instanceof AllowedGlobal ? callable.qualifiedName : describe(callable)}`,
        );
      return applyCallable(callable.qualifiedName as CallableName, args, label);
    },
    build(obj, state) {
      // OrderedDict carries `_metadata` (per-module versions) as instance state: not needed, dropped.
      if (obj instanceof Map && (state instanceof Map || state === null)) return obj;
      throw refusal(label, `setting the state of a ${describe(obj)}`);
    },
  });
  return collectTensors(root, label);
}

function applyCallable(name: CallableName, args: unknown[], label: string): unknown {
  switch (name) {
    case 'collections.OrderedDict': {
      const dict = new Map<unknown, unknown>();
      const pairs = args[0] ?? [];
      if (args.length > 1 || !Array.isArray(pairs))
        throw refusal(label, 'OrderedDict called with unexpected arguments');
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw refusal(label, 'OrderedDict called with unexpected arguments');
        dict.set(pair[0], pair[1]);
      }
      return dict;
    }
    case 'torch._utils._rebuild_parameter':
      if (!(args[0] instanceof Tensor)) throw refusal(label, `_rebuild_parameter of a ${describe(args[0])}`);
      return args[0];
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args, label);
  }
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: unknown[], label: string): Tensor {
  const [storage, offset, size, stride] = args;
  const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (
    args.length < 6 ||
    !(storage instanceof StorageRef) ||
    !isIndex(offset) ||
    !Array.isArray(size) ||
    !Array.isArray(stride) ||
    size.length !== stride.length ||
    !size.every(isIndex) ||
    !stride.every(isIndex)
  )
    throw refusal(label, '_rebuild_tensor_v2 called with arguments a tensor does not have');
  const shape = size as number[];
  if (elementCount(shape) > 0) {
    const last = offset + shape.reduce((sum, n, d) => sum + (n - 1) * (stride as number[])[d], 0);
    if (last >= storage.values.length)
      throw new CorruptArtifactError(
        `${label}: a tensor of shape [${shape.join(',')}] reads past the end of storage ${storage.key}`,
      );
  }
  return new Tensor(storage.dtype, shape, gatherStrided(storage.values, offset, shape, stride as number[]));
}

/**
 * The tensors of the unpickled object: a dict of name -> tensor. A training checkpoint that wraps the
 * state dict (`{'state_dict': ...}` or `{'model': ...}`, plus epoch counters and the like) gives that entry.
 */
function collectTensors(root: unknown, label: string): StateDict {
  if (!(root instanceof Map))
    throw new InvalidInputError(`${label}: holds a ${describe(root)}, not a state dict`);
  for (const key of ['state_dict', 'model']) {
    const inner = root.get(key);
    if (inner instanceof Map && ![...root.values()].some((v) => v instanceof Tensor))
      return collectTensors(inner, label);
  }
  const out: StateDict = new Map();
  for (const [name, value] of root) {
    if (typeof name !== 'string')
      throw new InvalidInputError(`${label}: a state dict key is a ${describe(name)}, not a string`);
    if (!(value instanceof Tensor))
      throw new InvalidInputError(`${label}: ${name} is a ${describe(value)}, not a tensor`);
    out.set(name, value);
  }
  return out;
}

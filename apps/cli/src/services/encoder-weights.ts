import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, UsageError, artifactPaths, writeFileAtomic } from '@captioner/core';
import {
  assertSameWeights,
  findEncoderWeights,
  isEncoderWeightsName,
  registerEncoderWeights,
} from '@captioner/db';
import type { DbClient } from '@captioner/db';
import type { BackendName } from '@captioner/core';
import { createEncoder, encoderConfigSchema, initBackend, isTorchvisionArchitecture } from '@captioner/model';
import type { TorchvisionArchitecture } from '@captioner/model';

/** `--arch`, checked: the encoder kinds that load a torchvision state dict. */
export function parseArchitecture(value: string): TorchvisionArchitecture {
  if (!isTorchvisionArchitecture(value))
    throw new UsageError(`the architecture must be resnet18, resnet34 or resnet50, got '${value}'`);
  return value;
}

/** `--name`, checked: it must read as a name, never as a path or URL, in `model.encoder.weights`. */
export function parseWeightsName(value: string): string {
  if (!isEncoderWeightsName(value))
    throw new UsageError(
      `--name ${value}: use letters, digits, '.', '_' and '-' (64 at most), without a .pth/.pt/.safetensors ending`,
    );
  return value;
}

function checkExtension(file: string): void {
  if (!/\.(pth|pt|safetensors)$/i.test(file))
    throw new UsageError(`${file}: expected a PyTorch state dict (.pth, .pt) or a .safetensors file`);
}

/** What the bytes are (the readers sniff them the same way): torch.save's zip or legacy pickle, else safetensors. */
function formatOf(bytes: Uint8Array): 'pth' | 'safetensors' {
  return (bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes[0] === 0x80 ? 'pth' : 'safetensors';
}

/**
 * Registers a state dict file as encoder weights: checks that it loads into `arch` (every tensor named
 * and shaped as torchvision's; the reader refuses anything but a state dict), copies it under
 * CAPTIONER_HOME (moves it with `move`, for a download already there) and records its SHA-256 and
 * source. The same name and file again is a no-op (`created: false`).
 */
export async function registerWeightsFile(
  db: DbClient,
  home: string,
  input: {
    file: string;
    arch: TorchvisionArchitecture;
    name: string;
    source: string;
    backend?: BackendName;
    move?: boolean;
    /** Told what it is doing: hashing, checking, copying. */
    onStep?: (message: string) => void;
  },
) {
  checkExtension(input.file);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(input.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`${input.file} does not exist`);
    throw error;
  }
  const format = formatOf(bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const existing = await findEncoderWeights(db, input.name);
  if (existing) {
    assertSameWeights(existing, { sha256, architecture: input.arch });
    if (input.move) await fs.rm(input.file, { force: true });
    return { record: existing, created: false };
  }
  input.onStep?.(`checking ${path.basename(input.source)} against ${input.arch}`);
  await initBackend(input.backend);
  // Builds the architecture and loads every tensor into it: a missing, extra or misshapen tensor is an
  // error naming it, now rather than when a run's extract stage first reads the file.
  const config = encoderConfigSchema.parse({ kind: input.arch, imageSize: 64, weights: input.file });
  const encoder = await createEncoder(config, 0);
  encoder.dispose();
  const target = artifactPaths(home).encoderWeights(input.name, format);
  if (input.move) {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(input.file, target);
  } else {
    input.onStep?.(`copying to ${target}`);
    await writeFileAtomic(target, bytes);
  }
  const record = await registerEncoderWeights(db, {
    name: input.name,
    architecture: input.arch,
    format,
    path: target,
    sha256,
    bytes: bytes.length,
    source: input.source,
  });
  return { record, created: true };
}

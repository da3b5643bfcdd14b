import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import { normalizeImages } from '@captioner/dataset';
import { createEncoder, encoderConfigSchema, initBackend } from '@captioner/model';
import { DEFAULT_PREPROCESS_SETTINGS, prepareImage } from '@captioner/preprocessing';

/*
 * Parity with torchvision: scripts/torchvision-reference.py builds random-initialised torchvision
 * ResNet-18/34/50 with random batch-norm statistics, saves them as .pth and .safetensors, and computes
 * the features of fixed 256x256 PNG images through torchvision's preprocessing. Here the same files go
 * through prepareImage + normalizeImages + createEncoder({ weights }) and must agree: max abs difference
 * <= 1e-4 x the largest feature magnitude, for the pooled vector and the 7x7 grid, from both files.
 * Needs Debian's python3-torch and python3-torchvision: skipped (with a message) without them, and a
 * failure under CI=true (.ci/run installs them).
 */

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../scripts/torchvision-reference.py', import.meta.url));
const ARCHS = ['resnet18', 'resnet34', 'resnet50'] as const;
const TOLERANCE = 1e-4;

/** Debian's python with torch; OpenBLAS tuning variables of the environment break its import on some CPUs. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchMissing(): string | undefined {
  if (!fs.existsSync(PYTHON))
    return `${PYTHON} not found (apt-get install python3-torch python3-torchvision)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], {
    env: pythonEnv(),
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    return 'python3 cannot import torch/torchvision (apt-get install python3-torch python3-torchvision)';
  return undefined;
}

function readFloats(file: string): Float32Array {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** max |a - b| / max |reference|. */
function relativeError(reference: Float32Array, actual: Float32Array): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return { diff, scale };
}

const missing = torchMissing();

if (missing && process.env.CI === 'true') {
  describe('torchvision parity', () => {
    it('needs python3-torch', () => {
      expect.fail(missing);
    });
  });
} else if (missing) {
  console.warn(`[torchvision-parity.test] skipped: ${missing}`);
  describe.skip(`torchvision parity (skipped: ${missing})`, () => {
    it('matches torchvision', () => {});
  });
} else {
  describe('torchvision parity', () => {
    let dir: string;
    let images: Float32Array;
    let count: number;

    beforeAll(async () => {
      await initBackend('wasm');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captioner-tv-parity-'));
      execFileSync(PYTHON, [SCRIPT, dir], { env: pythonEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
        images: string[];
      };
      count = manifest.images.length;
      const pixels = await Promise.all(
        manifest.images.map((name) => prepareImage(path.join(dir, name), DEFAULT_PREPROCESS_SETTINGS)),
      );
      const all = new Uint8Array(pixels.reduce((n, p) => n + p.length, 0));
      pixels.forEach((p, i) => all.set(p, i * p.length));
      images = normalizeImages(all, DEFAULT_PREPROCESS_SETTINGS.mean, DEFAULT_PREPROCESS_SETTINGS.std);
    }, 600_000);

    afterAll(() => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('preprocesses 256x256 PNGs as torchvision does (Resize 256, CenterCrop 224, Normalize)', () => {
      const { diff } = relativeError(readFloats(path.join(dir, 'input.bin')), images);
      expect(diff).toBeLessThan(1e-5);
    });

    for (const arch of ARCHS) {
      it(`${arch}: features from .pth and .safetensors match torchvision's`, async () => {
        const pooledRef = readFloats(path.join(dir, `${arch}-pooled.bin`));
        const gridRef = readFloats(path.join(dir, `${arch}-grid.bin`));
        for (const ext of ['pth', 'safetensors']) {
          const weights = path.join(dir, `${arch}.${ext}`);
          const encoder = await createEncoder(
            encoderConfigSchema.parse({ kind: arch, imageSize: 224, weights }),
            1,
          );
          try {
            const { pooled, grid } = await encoder.encode(images, count);
            expect([pooled.length, grid.length]).toEqual([pooledRef.length, gridRef.length]);
            for (const [what, ref, got] of [
              ['pooled', pooledRef, pooled],
              ['grid', gridRef, grid],
            ] as const) {
              const { diff, scale } = relativeError(ref, got);
              console.log(
                `[parity] ${arch} ${ext} ${what}: max |diff| ${diff.toExponential(2)}, scale ${scale.toFixed(2)}, relative ${(diff / scale).toExponential(2)}`,
              );
              expect(scale).toBeGreaterThan(0);
              expect(diff / scale).toBeLessThanOrEqual(TOLERANCE);
            }
          } finally {
            encoder.dispose();
          }
        }
      }, 600_000);
    }

    it('refuses a .pth whose pickle would run code (torch.save of an object with __reduce__)', async () => {
      const evil = path.join(dir, 'evil.pth');
      const marker = path.join(dir, 'pwned');
      execFileSync(
        PYTHON,
        [
          '-c',
          `import os, sys, torch
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[2],))
torch.save({"conv1.weight": Evil()}, sys.argv[1])`,
          evil,
          marker,
        ],
        { env: pythonEnv() },
      );
      const error = await createEncoder(
        encoderConfigSchema.parse({ kind: 'resnet18', imageSize: 224, weights: evil }),
        1,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/evil\.pth: refused: the pickle references posix\.system/);
      expect(fs.existsSync(marker)).toBe(false);
    });
  });
}

// Test helpers (not exported from the package): tiny real images and broken ones, in temp directories.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { onTestFinished } from 'vitest';

/** A fresh temp directory, removed when the calling test finishes. */
export async function tempDir(prefix = 'import-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A 32×32 image of noise (so that a JPEG has a long entropy-coded body to cut). */
async function noiseImage(format: 'jpeg' | 'png', seed: number): Promise<Buffer> {
  const size = 32;
  const raw = Buffer.alloc(size * size * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  const image = sharp(raw, { raw: { width: size, height: size, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality: 90 }).toBuffer() : image.png().toBuffer();
}

/** Writes good images at the given relative paths (JPEG unless the name ends in .png). */
export async function writeImages(root: string, files: readonly string[]): Promise<void> {
  let seed = 1;
  for (const file of files) {
    const full = path.join(root, file);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, await noiseImage(file.endsWith('.png') ? 'png' : 'jpeg', seed++));
  }
}

/** A text file named like an image. */
export async function writeNotAnImage(root: string, file: string): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await fs.writeFile(path.join(root, file), 'this is not an image\n');
}

/** A JPEG cut to 60 % of its bytes: the header is intact, the end marker gone. */
export async function writeTruncatedJpeg(root: string, file: string): Promise<void> {
  const jpeg = await noiseImage('jpeg', 99);
  await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await fs.writeFile(path.join(root, file), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
}

/** Bytes that are not UTF-8 (a lone continuation byte and an overlong form), as Latin-1 files produce. */
export const INVALID_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0xc0, 0xaf]);

/** Writes lines (strings, or raw bytes for broken encodings) joined by `\n`. */
export async function writeLines(file: string, lines: ReadonlyArray<string | Buffer>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const parts = lines.flatMap((line, i) => [
    typeof line === 'string' ? Buffer.from(line) : line,
    Buffer.from(i < lines.length - 1 ? '\n' : ''),
  ]);
  await fs.writeFile(file, Buffer.concat(parts));
}

/** `kind file:line` summaries of a report's problems, for compact assertions. */
export function summarize(
  problems: ReadonlyArray<{ kind: string; file: string; line?: number; field?: string }>,
  root: string,
): string[] {
  return problems.map(
    (p) =>
      `${p.kind} ${path.relative(root, p.file)}${p.line !== undefined ? `:${p.line}` : ''}${p.field !== undefined ? ` ${p.field}` : ''}`,
  );
}

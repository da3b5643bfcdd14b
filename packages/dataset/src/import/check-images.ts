import fs from 'node:fs/promises';
import sharp from 'sharp';

export type ImageCheckMode = 'none' | 'header' | 'decode';

export type ImageCheck =
  | { ok: true }
  | { ok: false; kind: 'missing_image' | 'unreadable_image'; message: string };

/** Bytes at the end of a file searched for the format's end marker (allows a little trailing padding). */
const TAIL_BYTES = 1024;

/**
 * Checks one image. `header`: sharp reads the header only (no decode), plus a look at the file's tail for the
 * JPEG end-of-image marker or the PNG IEND chunk, which catches truncated files at the cost of one small read.
 * `decode`: a full decode, for when a corrupt middle must be caught too (slow on large data sets).
 */
export async function checkImage(file: string, mode: ImageCheckMode): Promise<ImageCheck> {
  let stats;
  try {
    stats = await fs.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, kind: 'missing_image', message: `image not found: ${file}` };
    return {
      ok: false,
      kind: 'unreadable_image',
      message: `cannot read ${file}: ${(error as Error).message}`,
    };
  }
  if (!stats.isFile()) return { ok: false, kind: 'unreadable_image', message: `not a file: ${file}` };
  if (mode === 'none') return { ok: true };
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height)
      return { ok: false, kind: 'unreadable_image', message: `image has no size: ${file}` };
    if (mode === 'decode') {
      await sharp(file, { failOn: 'truncated' }).raw().toBuffer();
      return { ok: true };
    }
    const truncated = await looksTruncated(file, meta.format, stats.size);
    if (truncated)
      return {
        ok: false,
        kind: 'unreadable_image',
        message: `truncated ${meta.format}: no end marker in ${file}`,
      };
    return { ok: true };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    return { ok: false, kind: 'unreadable_image', message: `not a readable image: ${file} (${reason})` };
  }
}

async function looksTruncated(file: string, format: string | undefined, size: number): Promise<boolean> {
  const marker =
    format === 'jpeg' ? Buffer.from([0xff, 0xd9]) : format === 'png' ? Buffer.from('IEND') : undefined;
  if (marker === undefined) return false;
  const length = Math.min(TAIL_BYTES, size);
  const handle = await fs.open(file, 'r');
  try {
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    return tail.indexOf(marker) === -1;
  } finally {
    await handle.close();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

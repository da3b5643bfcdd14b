import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CancelledError,
  InvalidInputError,
  NotFoundError,
  isPermanentError,
  readShardFile,
} from '@captioner/core';
import { readImageShard } from '@captioner/dataset';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFailures, describeShardOutcome, preprocessShard } from './preprocess-shard';
import { prepareImage } from './prepare-image';
import { parsePreprocessSettings } from './settings';
import { shardMetaSchema } from './shard-meta';
import { BLUE, GREEN, RED, makeTempDir, rawImage, splitImage } from './testing/images';
import type { ShardItem } from './preprocess-shard';
import type { ProgressUpdate } from '@captioner/core';

const settings = parsePreprocessSettings({ imageSize: 32 });

let dir: string;
let items: ShardItem[];
beforeAll(async () => {
  dir = await makeTempDir();
  const colours = [RED, GREEN, BLUE];
  items = [];
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, `good-${i}.png`);
    await rawImage(splitImage(48, 40, 'leftRight', colours[i % 3], colours[(i + 1) % 3]), 48, 40, 3)
      .png()
      .toFile(file);
    items.push({ id: `good-${i}`, path: file });
  }
  const text = path.join(dir, 'text.jpg');
  await fs.writeFile(text, 'not an image');
  // Broken images in the middle, so the good ones after them must move up.
  items.splice(2, 0, { id: 'text', path: text }, { id: 'missing', path: path.join(dir, 'missing.jpg') });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const goodItems = (): ShardItem[] => items.filter((item) => item.id.startsWith('good-'));

describe('preprocessShard', () => {
  it('writes the good images in order, reports the broken ones, and readImageShard reads the result', async () => {
    const outFile = path.join(dir, 'shards', 'mixed.shard');
    const progress: ProgressUpdate[] = [];
    const result = await preprocessShard({
      items,
      outFile,
      settings,
      concurrency: 3,
      onProgress: (u) => progress.push(u),
    });
    expect(result.skipped).toBe(false);
    expect(result.written).toBe(6);
    expect(result.failed.map((f) => [f.id, f.missing])).toEqual([
      ['text', false],
      ['missing', true],
    ]);
    expect(countFailures(result.failed)).toEqual({ missing: 1, unreadable: 1 });
    expect(describeShardOutcome(result)).toBe('6/8 images written, 1 missing, 1 unreadable');
    expect(progress.at(-1)).toMatchObject({
      message: 'image 8/8, 1 missing, 1 unreadable',
      figures: { missing: 1, unreadable: 1 },
    });
    expect(result.failed[0].error).toMatch(/text\.jpg: not an image/);
    expect(result.failed[1].error).toMatch(/missing\.jpg: no such image file/);
    expect(progress.at(-1)?.fraction).toBe(1);

    const shard = await readImageShard(outFile);
    expect(shard.ids).toEqual(goodItems().map((item) => item.id));
    expect(shard.size).toBe(32);
    expect(shard.mean).toEqual(settings.mean);
    // Every row holds exactly the pixels of its own image (rows after the failures moved up).
    for (const [row, item] of goodItems().entries()) {
      const expected = await prepareImage(item.path, settings);
      expect(
        Buffer.from(shard.pixels.subarray(row * 32 * 32 * 3, (row + 1) * 32 * 32 * 3)).equals(
          Buffer.from(expected),
        ),
      ).toBe(true);
    }
    const meta = shardMetaSchema.parse((await readShardFile(outFile)).meta);
    expect(meta.failed).toEqual(result.failed);
  });

  it('skips a complete shard on re-run and returns the same failures', async () => {
    const outFile = path.join(dir, 'skip.shard');
    const first = await preprocessShard({ items, outFile, settings });
    const before = await fs.stat(outFile);
    const second = await preprocessShard({ items, outFile, settings });
    expect(second).toEqual({ ...first, skipped: true });
    expect((await fs.stat(outFile)).mtimeMs).toBe(before.mtimeMs);
  });

  it('redoes a truncated or corrupted shard', async () => {
    const outFile = path.join(dir, 'redo.shard');
    await preprocessShard({ items, outFile, settings });
    const complete = await fs.readFile(outFile);

    await fs.writeFile(outFile, complete.subarray(0, complete.length - 100));
    const afterTruncation = await preprocessShard({ items, outFile, settings });
    expect(afterTruncation.skipped).toBe(false);
    expect((await fs.readFile(outFile)).equals(complete)).toBe(true);

    const flipped = Buffer.from(complete);
    flipped[flipped.length - 1] ^= 0xff;
    await fs.writeFile(outFile, flipped);
    expect((await preprocessShard({ items, outFile, settings })).skipped).toBe(false);
    expect((await fs.readFile(outFile)).equals(complete)).toBe(true);
  });

  it('redoes a shard made from other items or other settings', async () => {
    const outFile = path.join(dir, 'changed.shard');
    await preprocessShard({ items, outFile, settings });
    const fewer = items.slice(0, 4);
    const redone = await preprocessShard({ items: fewer, outFile, settings });
    expect(redone.skipped).toBe(false);
    expect((await readImageShard(outFile)).ids).toEqual(['good-0', 'good-1']);

    const bigger = parsePreprocessSettings({ imageSize: 40 });
    const resized = await preprocessShard({ items: fewer, outFile, settings: bigger });
    expect(resized.skipped).toBe(false);
    expect((await readImageShard(outFile)).size).toBe(40);

    const otherStd = parsePreprocessSettings({ imageSize: 40, std: [0.5, 0.5, 0.5] });
    expect((await preprocessShard({ items: fewer, outFile, settings: otherStd })).skipped).toBe(false);
    expect((await readImageShard(outFile)).std).toEqual([0.5, 0.5, 0.5]);
    expect((await preprocessShard({ items: fewer, outFile, settings: otherStd })).skipped).toBe(true);

    // Another resize kernel is another shard; the default one leaves shards as they were written before.
    const lanczos = (await readImageShard(outFile)).pixels.slice();
    const linear = parsePreprocessSettings({ imageSize: 40, std: [0.5, 0.5, 0.5], resizeKernel: 'linear' });
    expect((await preprocessShard({ items: fewer, outFile, settings: linear })).skipped).toBe(false);
    expect((await readImageShard(outFile)).pixels).not.toEqual(lanczos);
    expect((await preprocessShard({ items: fewer, outFile, settings: linear })).skipped).toBe(true);
    const meta = shardMetaSchema.parse((await readShardFile(outFile)).header.meta);
    expect(meta.preprocess.resizeKernel).toBe('linear');
  });

  it('writes an empty shard when every image fails', async () => {
    const outFile = path.join(dir, 'empty.shard');
    const broken = items.filter((item) => !item.id.startsWith('good-'));
    const result = await preprocessShard({ items: broken, outFile, settings });
    expect(result.written).toBe(0);
    expect(result.failed).toHaveLength(2);
    expect((await readImageShard(outFile)).ids).toEqual([]);
    expect((await preprocessShard({ items: broken, outFile, settings })).skipped).toBe(true);
  });

  it('fails permanently, naming the first missing file, when every image of the shard is missing', async () => {
    const outFile = path.join(dir, 'gone.shard');
    const gone = [0, 1, 2].map((i) => ({ id: `gone-${i}`, path: path.join(dir, 'moved', `gone-${i}.jpg`) }));
    const run = preprocessShard({ items: gone, outFile, settings });
    await expect(run).rejects.toBeInstanceOf(NotFoundError);
    await expect(run).rejects.toThrow(`all 3 images of shard ${outFile} are missing, first ${gone[0].path}`);
    expect(isPermanentError(await run.catch((error: unknown) => error))).toBe(true);
    await expect(fs.access(outFile)).rejects.toThrow();
  });

  it('refuses duplicate ids', async () => {
    const outFile = path.join(dir, 'duplicate.shard');
    await expect(preprocessShard({ items: [items[0], items[0]], outFile, settings })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('stops on abort, rejects with CancelledError and writes nothing', async () => {
    const outFile = path.join(dir, 'aborted.shard');
    const controller = new AbortController();
    const run = preprocessShard({
      items,
      outFile,
      settings,
      concurrency: 1,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(fs.access(outFile)).rejects.toThrow();
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DatasetManifest } from './manifest';
import { imagePath, readManifest, splitItems, writeManifest } from './manifest';

function sample(imagesRoot: string): DatasetManifest {
  return {
    formatVersion: 1,
    name: 'demo',
    source: { format: 'jsonl', path: 'captions.jsonl' },
    imagesRoot,
    items: [
      { id: 'b', file: 'sub/b.png', split: 'restval', captions: ['two'] },
      { id: 'a', file: 'a.png', split: 'train', captions: ['one'] },
      { id: 'c', file: 'c.png', split: 'val', captions: ['three'] },
    ],
  };
}

describe('manifest', () => {
  it('stores imagesRoot relative to the manifest, sorts items by id and resolves on read', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'manifest-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'out', 'manifest.json');
    await writeManifest(file, sample(path.join(dir, 'pictures')));
    const raw = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(raw.imagesRoot).toBe('../pictures');
    expect(raw.items.map((i: { id: string }) => i.id)).toEqual(['a', 'b', 'c']);
    const read = await readManifest(file);
    expect(read.imagesRoot).toBe(path.join(dir, 'pictures'));
    expect(imagePath(read, read.items[1])).toBe(path.join(dir, 'pictures', 'sub', 'b.png'));
    expect(splitItems(read, 'train').map((i) => i.id)).toEqual(['a', 'b']);
    expect(splitItems(read, 'restval').map((i) => i.id)).toEqual(['b']);
    expect(splitItems(read, 'test')).toEqual([]);
  });

  it('rejects files that escape imagesRoot, bad versions and missing files, naming the file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'manifest-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'manifest.json');
    const escaping = sample('.');
    escaping.items[0].file = '../../etc/passwd';
    await expect(writeManifest(file, escaping)).rejects.toBeInstanceOf(InvalidInputError);
    await fs.writeFile(
      file,
      JSON.stringify({
        ...sample('.'),
        items: [{ id: 'x', file: '/etc/passwd', split: 'train', captions: [] }],
      }),
    );
    await expect(readManifest(file)).rejects.toThrow(/manifest\.json: items\.0\.file/);
    await fs.writeFile(file, JSON.stringify({ ...sample('.'), formatVersion: 2 }));
    await expect(readManifest(file)).rejects.toBeInstanceOf(InvalidInputError);
    await fs.writeFile(file, '{not json');
    await expect(readManifest(file)).rejects.toThrow(/manifest\.json: not JSON/);
    await expect(readManifest(path.join(dir, 'nope.json'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

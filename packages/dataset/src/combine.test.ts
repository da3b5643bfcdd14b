import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import { combineManifests } from './combine';
import { imagePath, readManifest, splitItems, writeManifest } from './manifest';
import type { DatasetManifest } from './manifest';
import { buildVocabulary } from './vocabulary';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-combine-'));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

function manifest(
  name: string,
  imagesRoot: string,
  words: Record<'train' | 'val' | 'test', string>,
): DatasetManifest {
  return {
    formatVersion: 1,
    name,
    source: { format: 'jsonl', path: `${name}.jsonl` },
    imagesRoot,
    items: (['train', 'val', 'test'] as const).map((split) => ({
      id: `${split}-1`,
      file: `sub/${split}.jpg`,
      split,
      captions: [`a ${words[split]} dog`],
    })),
  };
}

describe('combineManifests', () => {
  const a = () =>
    manifest('a', path.join(root, 'flickr8k', 'images'), { train: 'red', val: 'pink', test: 'grey' });
  const b = () =>
    manifest('b', path.join(root, 'coco', 'train2014'), { train: 'blue', val: 'teal', test: 'cyan' });

  it('keeps every split apart, prefixes ids by source and points every file at its own image', async () => {
    const combined = combineManifests('both', [
      { name: 'a', manifest: a() },
      { name: 'b', manifest: b() },
    ]);
    expect(combined.imagesRoot).toBe(root);
    expect(combined.items.map((i) => [i.id, i.split])).toEqual([
      ['a:train-1', 'train'],
      ['a:val-1', 'val'],
      ['a:test-1', 'test'],
      ['b:train-1', 'train'],
      ['b:val-1', 'val'],
      ['b:test-1', 'test'],
    ]);
    // Written and read back as any manifest: valid, and each item resolves to its source's image.
    const file = path.join(root, 'registered', 'both', 'manifest.json');
    await writeManifest(file, combined);
    const read = await readManifest(file);
    expect(imagePath(read, read.items.find((i) => i.id === 'b:val-1')!)).toBe(
      path.join(root, 'coco', 'train2014', 'sub', 'val.jpg'),
    );
    expect(read.source).toMatchObject({ format: 'combined', params: { sources: 'a,b' } });
    // The vocabulary comes from the training captions of both sources, never from val or test.
    const words = buildVocabulary(read, { minCount: 1 }).toJSON().words;
    expect(words).toEqual(expect.arrayContaining(['red', 'blue', 'dog']));
    for (const held of ['pink', 'grey', 'teal', 'cyan']) expect(words).not.toContain(held);
  });

  it('takes only the training items of a source marked trainOnly', () => {
    const combined = combineManifests('both', [
      { name: 'a', manifest: a() },
      { name: 'b', manifest: b(), trainOnly: true },
    ]);
    expect(splitItems(combined, 'test').map((i) => i.id)).toEqual(['a:test-1']);
    expect(splitItems(combined, 'train').map((i) => i.id)).toEqual(['a:train-1', 'b:train-1']);
  });

  it('refuses one source, a name given twice, and a name with the separator, by name', () => {
    expect(() => combineManifests('x', [{ name: 'a', manifest: a() }])).toThrow(InvalidInputError);
    expect(() =>
      combineManifests('x', [
        { name: 'a', manifest: a() },
        { name: 'a', manifest: b() },
      ]),
    ).toThrow(/'a' given twice/);
    expect(() =>
      combineManifests('x', [
        { name: 'a:1', manifest: a() },
        { name: 'b', manifest: b() },
      ]),
    ).toThrow(/'a:1' contains ':'/);
  });
});

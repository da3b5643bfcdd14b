import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DatasetManifest } from './manifest';
import { synthesizeShapes } from './shapes/synthesize';
import {
  END_ID,
  PAD_ID,
  START_ID,
  UNK_ID,
  Vocabulary,
  buildVocabulary,
  loadVocabulary,
  saveVocabulary,
} from './vocabulary';

function manifestOf(items: Array<[DatasetManifest['items'][number]['split'], string[]]>): DatasetManifest {
  return {
    formatVersion: 1,
    name: 't',
    source: { format: 'jsonl', path: 'x' },
    imagesRoot: '/tmp',
    items: items.map(([split, captions], i) => ({ id: `i${i}`, file: `i${i}.png`, split, captions })),
  };
}

describe('buildVocabulary', () => {
  const manifest = manifestOf([
    ['train', ['a dog runs', 'a cat sits', 'a dog sits']],
    ['restval', ['a bird flies', 'the dog runs']],
    ['val', ['zebra zebra zebra zebra', 'a zebra']],
    ['test', ['yak yak yak']],
  ]);

  it('counts train and restval only, orders by count then alphabetically, after the fixed specials', () => {
    const vocab = buildVocabulary(manifest, { minCount: 2 });
    // a:4, dog:3, runs:2, sits:2 — cat, bird, flies, the once; zebra and yak are not training words.
    expect(vocab.toJSON().words).toEqual(['<pad>', '<start>', '<end>', '<unk>', 'a', 'dog', 'runs', 'sits']);
    expect(vocab.toJSON().counts).toEqual([0, 0, 0, 0, 4, 3, 2, 2]);
    expect(vocab.size).toBe(8);
    expect(buildVocabulary(manifest).size).toBe(4);
  });

  it('encodes with <start>/<end>, unknown words as <unk>, clipped to maxLength, and decodes back', () => {
    const vocab = buildVocabulary(manifest, { minCount: 1, maxLength: 3 });
    const dog = vocab.idOf('dog');
    expect(vocab.encode('A dog runs')).toEqual([START_ID, vocab.idOf('a'), dog, vocab.idOf('runs'), END_ID]);
    expect(vocab.encode('a dog plays fetch').slice(0, 4)).toEqual([START_ID, vocab.idOf('a'), dog, UNK_ID]);
    expect(vocab.encode('a dog runs fast and far')).toHaveLength(5);
    expect(vocab.decode(vocab.encode('a dog runs'))).toBe('a dog runs');
    expect(vocab.decode([START_ID, dog, UNK_ID, dog, END_ID, dog, PAD_ID])).toBe('dog dog');
    expect(vocab.idOf('<pad>')).toBe(UNK_ID);
  });

  it('encodes a padded batch', () => {
    const vocab = buildVocabulary(manifest, { minCount: 1, maxLength: 4 });
    const batch = vocab.encodeBatch(['a dog', 'the dog runs a lot more']);
    expect(batch.length).toBe(6);
    expect(batch.rows).toBe(2);
    expect(Array.from(batch.lengths)).toEqual([4, 6]);
    expect(Array.from(batch.ids.subarray(0, 6))).toEqual([
      START_ID,
      vocab.idOf('a'),
      vocab.idOf('dog'),
      END_ID,
      PAD_ID,
      PAD_ID,
    ]);
    expect(Array.from(batch.ids.subarray(6, 12))).toEqual([...vocab.encode('the dog runs a')]);
  });

  it('round-trips through JSON and a file; rejects broken files', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vocab-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const { manifest: shapes } = await synthesizeShapes({ outDir: dir, images: 50, seed: 9 });
    const vocab = buildVocabulary(shapes, { minCount: 1 });
    expect(vocab.size).toBeGreaterThan(20);
    const file = path.join(dir, 'vocab.json');
    await saveVocabulary(file, vocab);
    const loaded = await loadVocabulary(file);
    expect(loaded.toJSON()).toEqual(vocab.toJSON());
    const caption = shapes.items[0].captions[0];
    expect(loaded.encode(caption)).toEqual(vocab.encode(caption));
    expect(loaded.decode(loaded.encode(caption))).toBe(caption);
    expect(Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab))).toJSON()).toEqual(vocab.toJSON());

    const broken = { ...vocab.toJSON(), words: ['<start>', '<pad>', ...vocab.toJSON().words.slice(2)] };
    await fs.writeFile(file, JSON.stringify(broken));
    await expect(loadVocabulary(file)).rejects.toThrow(InvalidInputError);
    await expect(loadVocabulary(file)).rejects.toThrow(/vocab\.json/);
    await expect(loadVocabulary(path.join(dir, 'none.json'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

import path from 'node:path';
import { InvalidInputError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import {
  INVALID_UTF8,
  summarize,
  tempDir,
  writeImages,
  writeLines,
  writeNotAnImage,
  writeTruncatedJpeg,
} from './fixtures';
import { importDataset } from './import-dataset';

async function flickr8kFixture(): Promise<string> {
  const root = await tempDir('flickr8k-');
  const images = path.join(root, 'Flicker8k_Dataset');
  await writeImages(images, ['a.jpg', 'b.jpg', 'c.jpg', 'e.jpg', 'f.jpg']);
  await writeNotAnImage(images, 'notimage.jpg');
  await writeTruncatedJpeg(images, 'truncated.jpg');
  const text = path.join(root, 'Flickr8k_text');
  await writeLines(path.join(text, 'Flickr8k.token.txt'), [
    'a.jpg#0\tA dog runs .',
    'a.jpg#1\tA brown dog on grass .',
    'b.jpg#0\t   ',
    'b.jpg#1\tA cat sleeps .',
    'missing.jpg#0\tA ghost .',
    'notimage.jpg#0\tSome text .',
    'truncated.jpg#0\tHalf a picture .',
    Buffer.concat([Buffer.from('c.jpg#0\t'), INVALID_UTF8]),
    'd.jpg#0 no tab here',
    `c.jpg#1\t${'very '.repeat(250)}long`,
    'e.jpg#0\t',
    '../escape.jpg#0\tOutside .',
    'a.jpg#2\tA dog runs .',
    'f.jpg#0\tA bird in no split list .',
    'c.jpg#2\tA child plays .',
  ]);
  await writeLines(path.join(text, 'Flickr_8k.trainImages.txt'), [
    'a.jpg',
    'b.jpg',
    'ghost.jpg',
    'notimage.jpg',
    'truncated.jpg',
    'missing.jpg',
  ]);
  await writeLines(path.join(text, 'Flickr_8k.devImages.txt'), ['c.jpg', 'e.jpg']);
  await writeLines(path.join(text, 'Flickr_8k.testImages.txt'), ['a.jpg']);
  return root;
}

describe('importDataset flickr8k', () => {
  it('keeps the good items, reports each bad row with its file and line', async () => {
    const root = await flickr8kFixture();
    const { manifest, report } = await importDataset({ path: root, format: 'flickr8k', name: 'f8k' });
    expect(manifest.imagesRoot).toBe(path.join(root, 'Flicker8k_Dataset'));
    expect(manifest.items).toEqual([
      { id: 'a.jpg', file: 'a.jpg', split: 'train', captions: ['A dog runs .', 'A brown dog on grass .'] },
      { id: 'b.jpg', file: 'b.jpg', split: 'train', captions: ['A cat sleeps .'] },
      { id: 'c.jpg', file: 'c.jpg', split: 'val', captions: ['A child plays .'] },
      { id: 'f.jpg', file: 'f.jpg', split: 'train', captions: ['A bird in no split list .'] },
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'empty_caption Flickr8k_text/Flickr8k.token.txt:3 caption',
      'missing_image Flickr8k_text/Flickr8k.token.txt:5',
      'unreadable_image Flickr8k_text/Flickr8k.token.txt:6',
      'unreadable_image Flickr8k_text/Flickr8k.token.txt:7',
      'invalid_utf8 Flickr8k_text/Flickr8k.token.txt:8',
      'malformed_line Flickr8k_text/Flickr8k.token.txt:9',
      'overlong_caption Flickr8k_text/Flickr8k.token.txt:10 caption',
      'no_captions Flickr8k_text/Flickr8k.token.txt:11',
      'empty_caption Flickr8k_text/Flickr8k.token.txt:11 caption',
      'path_escape Flickr8k_text/Flickr8k.token.txt:12 image',
      'duplicate_caption Flickr8k_text/Flickr8k.token.txt:13 caption',
      'no_split Flickr8k_text/Flickr8k.token.txt:14',
      'conflicting_split Flickr8k_text/Flickr_8k.testImages.txt:1',
      'unknown_split_image Flickr8k_text/Flickr_8k.trainImages.txt:3',
    ]);
    expect(report.problems.find((p) => p.kind === 'missing_image')?.message).toContain('missing.jpg');
    expect(report).toMatchObject({
      items: 4,
      captions: 5,
      splits: { train: 3, restval: 0, val: 1, test: 0 },
    });
    expect(report.counts).toMatchObject({ unreadable_image: 2, empty_caption: 2, missing_image: 1 });
  });

  it('is idempotent and accepts the token file as PATH', async () => {
    const root = await flickr8kFixture();
    const first = await importDataset({ path: root, format: 'flickr8k', name: 'f8k' });
    const second = await importDataset({ path: root, format: 'flickr8k', name: 'f8k' });
    expect(second).toEqual(first);
    const byFile = await importDataset({
      path: path.join(root, 'Flickr8k_text', 'Flickr8k.token.txt'),
      format: 'flickr8k',
      name: 'f8k',
      imagesRoot: path.join(root, 'Flicker8k_Dataset'),
    });
    expect(byFile.manifest.items).toEqual(first.manifest.items);
  });

  it('fails a strict import at the first problem, naming file and line', async () => {
    const root = await flickr8kFixture();
    const attempt = importDataset({ path: root, format: 'flickr8k', name: 'f8k', strict: true });
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/Flickr8k\.token\.txt:3: empty_caption/);
  });
});

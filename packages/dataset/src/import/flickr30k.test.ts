import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize, tempDir, writeImages, writeLines, writeTruncatedJpeg } from './fixtures';
import { hashSplit } from './hash-split';
import { importDataset } from './import-dataset';

describe('importDataset flickr30k', () => {
  it('reads results_20130124.token and hash-splits by image id', async () => {
    const root = await tempDir('flickr30k-');
    await writeImages(path.join(root, 'flickr30k-images'), ['1.jpg', '2.jpg']);
    await writeTruncatedJpeg(path.join(root, 'flickr30k-images'), '3.jpg');
    await writeLines(path.join(root, 'results_20130124.token'), [
      '1.jpg#0\tTwo dogs play .',
      '1.jpg#1\tDogs in a park .',
      '2.jpg#0\tA man rides a bike .',
      '3.jpg#0\tA broken picture .',
      '4.jpg#0\tNot on disk .',
      '',
    ]);
    const { manifest, report } = await importDataset({ path: root, format: 'flickr30k', name: 'f30k' });
    expect(manifest.items.map((i) => [i.id, i.split, i.captions.length])).toEqual([
      ['1.jpg', hashSplit('1.jpg'), 2],
      ['2.jpg', hashSplit('2.jpg'), 1],
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'unreadable_image results_20130124.token:4',
      'missing_image results_20130124.token:5',
    ]);
  });

  it('reads the results.csv variant, keeping `|` inside captions and reporting a line without separators', async () => {
    const root = await tempDir('flickr30k-');
    await writeImages(path.join(root, 'flickr30k_images'), ['10.jpg', '11.jpg']);
    await writeLines(path.join(root, 'flickr30k_images', 'results.csv'), [
      'image_name| comment_number| comment',
      '10.jpg| 0| A woman | with a hat .',
      '10.jpg| 1| ',
      '11.jpg| 4 A dog runs across the grass .',
      '11.jpg| 0| A dog runs .',
    ]);
    const { manifest, report } = await importDataset({
      path: path.join(root, 'flickr30k_images', 'results.csv'),
      format: 'flickr30k',
      name: 'f30k',
      imagesRoot: path.join(root, 'flickr30k_images'),
    });
    expect(manifest.items.map((i) => [i.id, i.captions])).toEqual([
      ['10.jpg', ['A woman | with a hat .']],
      ['11.jpg', ['A dog runs .']],
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'empty_caption flickr30k_images/results.csv:3 comment',
      'malformed_line flickr30k_images/results.csv:4',
    ]);
  });
});

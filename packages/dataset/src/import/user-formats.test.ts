import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVALID_UTF8, summarize, tempDir, writeImages, writeLines, writeNotAnImage } from './fixtures';
import { hashSplit } from './hash-split';
import { importDataset } from './import-dataset';

async function imagesFixture(): Promise<string> {
  const root = await tempDir('user-');
  await writeImages(root, ['pics/a.jpg', 'pics/b.png', 'pics/c.jpg']);
  await writeNotAnImage(root, 'pics/readme.jpg');
  return root;
}

describe('importDataset jsonl', () => {
  it('merges lines of the same image, honours split fields and hash-splits the rest', async () => {
    const root = await imagesFixture();
    const j = (value: unknown) => JSON.stringify(value);
    await writeLines(path.join(root, 'captions.jsonl'), [
      j({ image: 'pics/a.jpg', caption: 'A red apple.', split: 'test' }),
      j({ image: 'pics/a.jpg', caption: 'An apple on a table.' }),
      '{"image": "pics/b.png", "caption": ',
      j({ image: 'pics/b.png', caption: 'A boat.', split: 'dev' }),
      j({ image: 'pics/b.png', caption: 'A small boat.', split: 'train' }),
      j({ image: 'pics/c.jpg', caption: 'A cloud.', split: 'later' }),
      j({ image: 'pics/c.jpg' }),
      j({ image: 'pics/c.jpg', caption: 'A grey cloud.' }),
      Buffer.concat([Buffer.from('{"image": "pics/c.jpg", "caption": "'), INVALID_UTF8, Buffer.from('"}')]),
      j({ image: '/etc/passwd', caption: 'Absolute.' }),
      j({ image: 'pics/readme.jpg', caption: 'Text.' }),
      '',
    ]);
    const { manifest, report } = await importDataset({ path: root, format: 'jsonl', name: 'mine' });
    expect(manifest.items).toEqual([
      {
        id: 'pics/a.jpg',
        file: 'pics/a.jpg',
        split: 'test',
        captions: ['A red apple.', 'An apple on a table.'],
      },
      { id: 'pics/b.png', file: 'pics/b.png', split: 'val', captions: ['A boat.', 'A small boat.'] },
      { id: 'pics/c.jpg', file: 'pics/c.jpg', split: hashSplit('pics/c.jpg'), captions: ['A grey cloud.'] },
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'malformed_line captions.jsonl:3',
      'conflicting_split captions.jsonl:5 caption',
      'invalid_split captions.jsonl:6 split',
      'malformed_line captions.jsonl:7 caption',
      'invalid_utf8 captions.jsonl:9',
      'path_escape captions.jsonl:10 image',
      'unreadable_image captions.jsonl:11',
    ]);
  });
});

describe('importDataset csv', () => {
  it('reads quoted fields, a header in any order, and reports broken rows', async () => {
    const root = await imagesFixture();
    await writeLines(path.join(root, 'data', 'captions.csv'), [
      'split,caption,image,photographer',
      'train,"A red apple, shiny.",a.jpg,ann',
      'val,"He said ""boat"".",b.png,bob',
      'train,"unterminated,c.jpg,cid',
      'train,A cloud.,../c.jpg,cid',
      'test,  ,c.jpg,cid',
      'test,A cloud.,c.jpg,cid',
      'train,Missing.,gone.jpg,x',
    ]);
    const { manifest, report } = await importDataset({
      path: path.join(root, 'data', 'captions.csv'),
      format: 'csv',
      name: 'mine',
      imagesRoot: path.join(root, 'pics'),
    });
    expect(manifest.items).toEqual([
      { id: 'a.jpg', file: 'a.jpg', split: 'train', captions: ['A red apple, shiny.'] },
      { id: 'b.png', file: 'b.png', split: 'val', captions: ['He said "boat".'] },
      { id: 'c.jpg', file: 'c.jpg', split: 'test', captions: ['A cloud.'] },
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'malformed_line data/captions.csv:4',
      'path_escape data/captions.csv:5 image',
      'empty_caption data/captions.csv:6 caption',
      'missing_image data/captions.csv:8',
    ]);
  });

  it('reads headerless image,caption rows', async () => {
    const root = await imagesFixture();
    await writeLines(path.join(root, 'captions.csv'), ['pics/a.jpg,An apple.', 'pics/b.png,A boat.,test']);
    const { manifest, report } = await importDataset({
      path: path.join(root, 'captions.csv'),
      format: 'csv',
      name: 'mine',
      checkImages: false,
    });
    expect(manifest.items.map((i) => [i.id, i.split])).toEqual([
      ['pics/a.jpg', hashSplit('pics/a.jpg')],
      ['pics/b.png', 'test'],
    ]);
    expect(report.problems).toEqual([]);
  });
});

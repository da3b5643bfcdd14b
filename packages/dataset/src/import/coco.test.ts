import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVALID_UTF8, summarize, tempDir, writeImages, writeNotAnImage } from './fixtures';
import { importDataset } from './import-dataset';

async function cocoFixture(): Promise<string> {
  const root = await tempDir('coco-');
  await writeImages(root, [
    'train2014/COCO_train2014_1.jpg',
    'train2014/COCO_train2014_2.jpg',
    'val2014/COCO_val2014_5.jpg',
  ]);
  await writeNotAnImage(root, 'train2014/COCO_train2014_3.jpg');
  await fs.mkdir(path.join(root, 'annotations'));
  const train = {
    info: {},
    images: [
      { id: 1, file_name: 'COCO_train2014_1.jpg', width: 32, height: 32 },
      { id: 2, file_name: 'COCO_train2014_2.jpg' },
      { id: 1, file_name: 'COCO_train2014_1_again.jpg' },
      { id: 3, file_name: 'COCO_train2014_3.jpg' },
      { file_name: 'no-id.jpg' },
      { id: 4, file_name: 'COCO_train2014_4.jpg' },
    ],
    annotations: [
      { id: 10, image_id: 1, caption: 'A cat on a mat.' },
      { id: 11, image_id: 1, caption: '  A cat\non a\tmat, sleeping. ' },
      { id: 12, image_id: 2, caption: '' },
      { id: 13, image_id: 2, caption: 'REPLACE_ME' },
      { id: 14, image_id: 2, caption: 'Two birds.' },
      { id: 15, image_id: 99, caption: 'Unknown image.' },
      { id: 16, image_id: 3, caption: 'Not a picture.' },
    ],
  };
  // Raw bytes that are not UTF-8 inside one caption: only that caption is lost.
  const text = JSON.stringify(train);
  const [before, after] = text.split('REPLACE_ME');
  await fs.writeFile(
    path.join(root, 'annotations', 'captions_train2014.json'),
    Buffer.concat([Buffer.from(before), INVALID_UTF8, Buffer.from(after)]),
  );
  const val = {
    images: [{ id: 5, file_name: 'COCO_val2014_5.jpg' }],
    annotations: [{ image_id: 5, caption: 'A red bus.' }],
  };
  await fs.writeFile(path.join(root, 'annotations', 'captions_val2014.json'), JSON.stringify(val));
  return root;
}

describe('importDataset coco', () => {
  it('reads train and val files from a directory, reporting bad records by JSON path', async () => {
    const root = await cocoFixture();
    const fractions: number[] = [];
    const { manifest, report } = await importDataset({
      path: root,
      format: 'coco',
      name: 'coco',
      imagesRoot: root,
      onProgress: (update) => fractions.push(update.fraction),
    });
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    expect(manifest.items).toEqual([
      {
        id: '1',
        file: 'train2014/COCO_train2014_1.jpg',
        split: 'train',
        captions: ['A cat on a mat.', 'A cat on a mat, sleeping.'],
      },
      { id: '2', file: 'train2014/COCO_train2014_2.jpg', split: 'train', captions: ['Two birds.'] },
      { id: '5', file: 'val2014/COCO_val2014_5.jpg', split: 'val', captions: ['A red bus.'] },
    ]);
    expect(summarize(report.problems, root)).toEqual([
      'empty_caption annotations/captions_train2014.json annotations[2].caption',
      'invalid_utf8 annotations/captions_train2014.json annotations[3].caption',
      'unknown_image annotations/captions_train2014.json annotations[5].image_id',
      'duplicate_image annotations/captions_train2014.json images[2]',
      'unreadable_image annotations/captions_train2014.json images[3]',
      'malformed_record annotations/captions_train2014.json images[4]',
      'no_captions annotations/captions_train2014.json images[5]',
    ]);
    expect(report.splits).toEqual({ train: 2, restval: 0, val: 1, test: 0 });
  });

  it('defaults the images root to the annotation file directory', async () => {
    const root = await tempDir('coco-');
    await writeImages(root, ['val2017/000000000139.jpg']);
    const file = path.join(root, 'captions_val2017.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        images: [{ id: 139, file_name: '000000000139.jpg' }],
        annotations: [{ image_id: 139, caption: 'A room.' }],
      }),
    );
    const { manifest, report } = await importDataset({ path: file, format: 'coco', name: 'coco' });
    expect(manifest.imagesRoot).toBe(root);
    expect(manifest.items).toEqual([
      { id: '139', file: 'val2017/000000000139.jpg', split: 'val', captions: ['A room.'] },
    ]);
    expect(report.problems).toEqual([]);
  });
});

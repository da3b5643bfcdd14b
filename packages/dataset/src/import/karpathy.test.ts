import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize, tempDir, writeImages } from './fixtures';
import { importDataset } from './import-dataset';
import { splitItems } from '../manifest';

describe('importDataset karpathy', () => {
  it('keeps train/restval/val/test, uses cocoid and filepath, and reports bad records', async () => {
    const root = await tempDir('karpathy-');
    await writeImages(root, [
      'val2014/COCO_val2014_1.jpg',
      'val2014/COCO_val2014_2.jpg',
      'train2014/COCO_train2014_3.jpg',
      'val2014/COCO_val2014_4.jpg',
    ]);
    const sentence = (raw: string) => ({ raw, tokens: raw.toLowerCase().split(' '), imgid: 0, sentid: 0 });
    const dataset = {
      dataset: 'coco',
      images: [
        {
          filepath: 'val2014',
          filename: 'COCO_val2014_1.jpg',
          cocoid: 1,
          split: 'test',
          sentences: [sentence('A man.'), sentence('A man .')],
        },
        {
          filepath: 'val2014',
          filename: 'COCO_val2014_2.jpg',
          cocoid: 2,
          split: 'restval',
          sentences: [{ tokens: ['a', 'dog'] }, { raw: 7 }],
        },
        {
          filepath: 'train2014',
          filename: 'COCO_train2014_3.jpg',
          cocoid: 3,
          split: 'train',
          sentences: [sentence('A tree.')],
        },
        {
          filepath: 'val2014',
          filename: 'COCO_val2014_4.jpg',
          cocoid: 4,
          split: 'holdout',
          sentences: [sentence('A car.')],
        },
        {
          filepath: 'val2014',
          filename: 'COCO_val2014_1.jpg',
          cocoid: 1,
          split: 'val',
          sentences: [sentence('Again.')],
        },
        { filepath: '..', filename: 'outside.jpg', cocoid: 6, split: 'val', sentences: [sentence('Out.')] },
      ],
    };
    await fs.writeFile(path.join(root, 'dataset_coco.json'), JSON.stringify(dataset));
    const { manifest, report } = await importDataset({ path: root, format: 'karpathy', name: 'k' });
    expect(manifest.imagesRoot).toBe(root);
    expect(manifest.items).toEqual([
      { id: '1', file: 'val2014/COCO_val2014_1.jpg', split: 'test', captions: ['A man.', 'A man .'] },
      { id: '2', file: 'val2014/COCO_val2014_2.jpg', split: 'restval', captions: ['a dog'] },
      { id: '3', file: 'train2014/COCO_train2014_3.jpg', split: 'train', captions: ['A tree.'] },
    ]);
    expect(splitItems(manifest, 'train').map((i) => i.id)).toEqual(['2', '3']);
    expect(summarize(report.problems, root)).toEqual([
      'malformed_record dataset_coco.json images[1].sentences[1]',
      'invalid_split dataset_coco.json images[3].split',
      'duplicate_image dataset_coco.json images[4]',
      'path_escape dataset_coco.json images[5]',
    ]);
  });

  it('uses the filename as id for Flickr files', async () => {
    const root = await tempDir('karpathy-');
    await writeImages(root, ['Images/a.jpg']);
    const file = path.join(root, 'dataset_flickr8k.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        images: [{ filename: 'a.jpg', imgid: 0, split: 'val', sentences: [{ raw: 'A dog.' }] }],
      }),
    );
    const { manifest } = await importDataset({
      path: file,
      format: 'karpathy',
      name: 'k',
      imagesRoot: path.join(root, 'Images'),
    });
    expect(manifest.items).toEqual([{ id: 'a.jpg', file: 'a.jpg', split: 'val', captions: ['A dog.'] }]);
  });
});

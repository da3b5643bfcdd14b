import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImage } from './check-images';
import { tempDir, writeImages, writeNotAnImage, writeTruncatedJpeg } from './fixtures';

describe('checkImage', () => {
  it('accepts real images and names missing, non-image and truncated files', async () => {
    const root = await tempDir();
    await writeImages(root, ['ok.jpg', 'ok.png']);
    await writeNotAnImage(root, 'text.jpg');
    await writeTruncatedJpeg(root, 'cut.jpg');
    for (const mode of ['header', 'decode'] as const) {
      expect(await checkImage(path.join(root, 'ok.jpg'), mode)).toEqual({ ok: true });
      expect(await checkImage(path.join(root, 'ok.png'), mode)).toEqual({ ok: true });
      expect(await checkImage(path.join(root, 'nope.jpg'), mode)).toMatchObject({
        ok: false,
        kind: 'missing_image',
      });
      expect(await checkImage(path.join(root, 'text.jpg'), mode)).toMatchObject({
        ok: false,
        kind: 'unreadable_image',
      });
      expect(await checkImage(path.join(root, 'cut.jpg'), mode)).toMatchObject({
        ok: false,
        kind: 'unreadable_image',
      });
    }
    expect(await checkImage(path.join(root, 'text.jpg'), 'none')).toEqual({ ok: true });
    expect(await checkImage(root, 'none')).toMatchObject({ ok: false, kind: 'unreadable_image' });
  });
});

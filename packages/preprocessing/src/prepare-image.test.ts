import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, prepareImageBytes } from './prepare-image';
import { parsePreprocessSettings } from './settings';
import { BLUE, GREEN, RED, makeTempDir, near, pixelAt, rawImage, splitImage } from './testing/images';
import type { Rgb } from './testing/images';

const SIZE = 64;
const settings = parsePreprocessSettings({ imageSize: SIZE });
const WHITE: Rgb = [255, 255, 255];

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A 96x64 image, red on the left half and blue on the right, encoded by `encode`. */
async function writeLeftRight(name: string, encode: (image: sharp.Sharp) => sharp.Sharp): Promise<string> {
  const file = path.join(dir, name);
  await encode(rawImage(splitImage(96, 64, 'leftRight', RED, BLUE), 96, 64, 3)).toFile(file);
  return file;
}

/** Left of the crop should be the first colour, right the second. */
function expectLeftRight(pixels: Uint8Array, left: Rgb, right: Rgb, tolerance = 40): void {
  expect(pixels.length).toBe(SIZE * SIZE * 3);
  const l = pixelAt(pixels, SIZE, 4, 32);
  const r = pixelAt(pixels, SIZE, SIZE - 5, 32);
  expect(near(l, left, tolerance), `left pixel ${l} should be near ${left}`).toBe(true);
  expect(near(r, right, tolerance), `right pixel ${r} should be near ${right}`).toBe(true);
}

async function expectInvalid(promise: Promise<unknown>, file: string, reason: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as Error).message).toContain(file);
  expect((error as Error).message).toMatch(reason);
}

describe('prepareImage: image kinds', () => {
  it('decodes a JPEG at the default size (224, shorter side 256) to RGB bytes', async () => {
    const file = await writeLeftRight('plain.jpg', (i) => i.jpeg({ quality: 95 }));
    const pixels = await prepareImage(file, parsePreprocessSettings({}));
    expect(pixels.length).toBe(224 * 224 * 3);
    expect(near(pixelAt(pixels, 224, 10, 112), RED)).toBe(true);
    expect(near(pixelAt(pixels, 224, 213, 112), BLUE)).toBe(true);
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise): a red top half ends up on the right', async () => {
    const file = path.join(dir, 'orientation6.jpg');
    // Stored 64 wide x 128 tall, red on top; orientation 6 means "rotate 90° clockwise to display".
    await rawImage(splitImage(64, 128, 'topBottom', RED, BLUE), 64, 128, 3)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    expect((await sharp(file).metadata()).orientation).toBe(6);
    expectLeftRight(await prepareImage(file, settings), BLUE, RED);
  });

  it('matches the upright image for every EXIF orientation (1-8) of a non-square image', async () => {
    // Stored 80x48 in four quadrants: red, green / blue, white.
    const stored = Buffer.alloc(80 * 48 * 3);
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 80; x++)
        stored.set(y < 24 ? (x < 40 ? RED : GREEN) : x < 40 ? BLUE : WHITE, (y * 80 + x) * 3);
    }
    for (let orientation = 1; orientation <= 8; orientation++) {
      const tagged = path.join(dir, `orientation-${orientation}.png`);
      await rawImage(stored, 80, 48, 3).png().withMetadata({ orientation }).toFile(tagged);
      const upright = path.join(dir, `upright-${orientation}.png`);
      await sharp(tagged, { autoOrient: true }).png().toFile(upright);
      const actual = await prepareImage(tagged, settings);
      const expected = await prepareImage(upright, settings);
      for (const [x, y] of [
        [16, 16],
        [48, 16],
        [16, 48],
        [48, 48],
      ]) {
        expect(pixelAt(actual, SIZE, x, y), `orientation ${orientation} at ${x},${y}`).toEqual(
          pixelAt(expected, SIZE, x, y),
        );
      }
    }
  });

  it('flattens PNG alpha onto white: transparent pixels become white, whatever colour they hold', async () => {
    const file = path.join(dir, 'alpha.png');
    await rawImage(splitImage(96, 64, 'leftRight', [...RED, 255], [...GREEN, 0]), 96, 64, 4)
      .png()
      .toFile(file);
    expect((await sharp(file).metadata()).hasAlpha).toBe(true);
    expectLeftRight(await prepareImage(file, settings), RED, WHITE, 2);
  });

  it('turns a grayscale PNG into three equal channels', async () => {
    const file = path.join(dir, 'grey.png');
    await rawImage(splitImage(96, 64, 'leftRight', [40], [200]), 96, 64, 1)
      .toColourspace('b-w')
      .png()
      .toFile(file);
    expect((await sharp(file).metadata()).channels).toBe(1);
    expectLeftRight(await prepareImage(file, settings), [40, 40, 40], [200, 200, 200], 2);
  });

  it('turns a 16-bit PNG into 8-bit RGB', async () => {
    const file = path.join(dir, 'sixteen.png');
    await rawImage(splitImage(96, 64, 'leftRight', RED, BLUE), 96, 64, 3)
      .toColourspace('rgb16')
      .png()
      .toFile(file);
    expect((await sharp(file).metadata()).depth).toBe('ushort');
    expectLeftRight(await prepareImage(file, settings), RED, BLUE, 2);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    // Muted colours: pure sRGB red and blue lie outside the CMYK gamut and would not come back.
    const brick: Rgb = [180, 60, 50];
    const slate: Rgb = [50, 70, 150];
    const file = path.join(dir, 'cmyk.jpg');
    await rawImage(splitImage(96, 64, 'leftRight', brick, slate), 96, 64, 3)
      .toColourspace('cmyk')
      .jpeg({ quality: 95 })
      .toFile(file);
    const meta = await sharp(file).metadata();
    expect([meta.space, meta.channels]).toEqual(['cmyk', 4]);
    expectLeftRight(await prepareImage(file, settings), brick, slate, 30);
  });

  it('decodes WebP', async () => {
    const file = await writeLeftRight('image.webp', (i) => i.webp({ lossless: true }));
    expectLeftRight(await prepareImage(file, settings), RED, BLUE, 2);
  });

  it('takes the first frame of an animated GIF', async () => {
    const file = path.join(dir, 'animated.gif');
    const first = splitImage(96, 64, 'leftRight', RED, BLUE);
    const second = splitImage(96, 64, 'leftRight', GREEN, GREEN);
    await sharp(Buffer.concat([first, second]), {
      raw: { width: 96, height: 128, channels: 3, pageHeight: 64 },
    })
      .gif()
      .toFile(file);
    expect((await sharp(file).metadata()).pages).toBe(2);
    expectLeftRight(await prepareImage(file, settings), RED, BLUE, 2);
  });

  it('decodes TIFF', async () => {
    const file = await writeLeftRight('image.tiff', (i) => i.tiff({ compression: 'lzw' }));
    expectLeftRight(await prepareImage(file, settings), RED, BLUE, 2);
  });

  it('decodes AVIF', async () => {
    const file = await writeLeftRight('image.avif', (i) => i.avif({ quality: 90 }));
    expect((await sharp(file).metadata()).compression).toBe('av1');
    expectLeftRight(await prepareImage(file, settings), RED, BLUE, 60);
  });

  it('crops the centre of a wide image: the outer strips are cut off', async () => {
    // 300x100: red left third, green middle, blue right third; shorter side 100 -> 73, crop 64 of 219.
    const file = path.join(dir, 'wide.png');
    const pixels = Buffer.alloc(300 * 100 * 3);
    for (let i = 0; i < 300 * 100; i++) pixels.set(i % 300 < 100 ? RED : i % 300 < 200 ? GREEN : BLUE, i * 3);
    await rawImage(pixels, 300, 100, 3).png().toFile(file);
    const out = await prepareImage(file, settings);
    for (const x of [0, 32, 63]) expect(pixelAt(out, SIZE, x, 32)).toEqual(GREEN);
  });
});

describe('prepareImage: broken and hostile files', () => {
  it('refuses a text file named .jpg', async () => {
    const file = path.join(dir, 'text.jpg');
    await fs.writeFile(file, 'this is not an image\n');
    await expectInvalid(prepareImage(file, settings), file, /not an image/);
  });

  it('refuses a truncated JPEG', async () => {
    const file = path.join(dir, 'truncated.jpg');
    const noisy = await sharp({
      create: {
        width: 400,
        height: 300,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg({ quality: 90 })
      .toBuffer();
    // Keep the header and half the entropy-coded data.
    await fs.writeFile(file, noisy.subarray(0, Math.floor(noisy.length / 2)));
    await expectInvalid(prepareImage(file, settings), file, /truncated or corrupt/);
  });

  it('refuses a decompression bomb (tiny file, many pixels) under maxInputPixels', async () => {
    const file = path.join(dir, 'bomb.png');
    await sharp({
      create: { width: 5000, height: 5000, channels: 3, background: '#ff0000' },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 9 })
      .toFile(file);
    expect((await fs.stat(file)).size).toBeLessThan(200_000);
    await expectInvalid(
      prepareImage(file, { ...settings, maxInputPixels: 1_000_000 }),
      file,
      /too many pixels \(5000x5000, limit 1000000\)/,
    );
  });

  it('refuses a file above maxFileBytes without decoding it', async () => {
    const file = await writeLeftRight('big.png', (i) => i.png());
    const { size } = await fs.stat(file);
    await expectInvalid(prepareImage(file, { ...settings, maxFileBytes: size - 1 }), file, /file too large/);
    await expect(prepareImage(file, { ...settings, maxFileBytes: size })).resolves.toHaveLength(
      SIZE * SIZE * 3,
    );
  });

  it('refuses an empty file and an SVG (a format sharp reads but we do not)', async () => {
    const empty = path.join(dir, 'empty.png');
    await fs.writeFile(empty, '');
    await expectInvalid(prepareImage(empty, settings), empty, /empty file/);
    const svg = path.join(dir, 'drawing.svg');
    await fs.writeFile(
      svg,
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>',
    );
    await expectInvalid(prepareImage(svg, settings), svg, /unsupported image format svg/);
  });

  it('throws NotFoundError for a missing file', async () => {
    const file = path.join(dir, 'missing.jpg');
    await expect(prepareImage(file, settings)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('prepareImageBytes (uploads)', () => {
  it('gives the same pixels as prepareImage for the same bytes', async () => {
    const file = await writeLeftRight('bytes.png', (image) => image.png());
    const bytes = await fs.readFile(file);
    expect(await prepareImageBytes(bytes, 'upload', settings)).toEqual(await prepareImage(file, settings));
  });

  it('checks the type by content: text is refused whatever it is called, and so are empty or large bodies', async () => {
    await expectInvalid(
      prepareImageBytes(Buffer.from('just some text, not an image'), 'photo.gif', settings),
      'photo.gif',
      /not an image|cannot decode/,
    );
    await expectInvalid(prepareImageBytes(Buffer.alloc(0), 'upload', settings), 'upload', /empty file/);
    const small = parsePreprocessSettings({ imageSize: SIZE, maxFileBytes: 10 });
    await expectInvalid(prepareImageBytes(Buffer.alloc(11, 1), 'upload', small), 'upload', /too large/);
  });
});

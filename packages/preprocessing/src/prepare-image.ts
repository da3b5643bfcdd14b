import fs from 'node:fs/promises';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import sharp from 'sharp';
import { cropGeometry } from './crop-geometry';
import { orientSquare } from './orient-square';
import type { PreprocessSettings } from './settings';

/**
 * Formats we decode (sharp's `metadata().format` names; AVIF reports as `heif` with `av1`
 * compression). Everything else sharp could open (SVG, PDF, raw vips files, ...) is refused: data
 * sets hold photographs, and vector/document loaders are attack surface we do not need.
 */
const DECODABLE_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/** Transparent pixels are composited onto white, as a browser shows them on a page. */
const ALPHA_BACKGROUND = '#ffffff';

/**
 * Decodes one image file into `imageSize * imageSize * 3` bytes of 8-bit RGB (HWC, row-major):
 * shorter side resized to `resizeShorterTo` (with shrink-on-load), centre crop of `imageSize`, alpha
 * flattened onto white, grey/CMYK/16-bit converted to 8-bit sRGB, then EXIF orientation applied.
 *
 * Throws InvalidInputError naming the file and the reason (empty, too large, too many pixels, not an
 * image, unsupported format, truncated or corrupt), NotFoundError when the file does not exist.
 * Other I/O errors (EMFILE, EIO) are rethrown as they are: they are not the image's fault.
 */
export async function prepareImage(file: string, settings: PreprocessSettings): Promise<Uint8Array> {
  return prepareImageBytes(await readImageFile(file, settings.maxFileBytes), file, settings);
}

/**
 * `prepareImage` for bytes already in memory (an upload): the same checks by content (sharp reads the
 * header; the name or a Content-Type is never trusted), the same pixels. `name` only labels errors.
 */
export async function prepareImageBytes(
  bytes: Buffer,
  name: string,
  settings: PreprocessSettings,
): Promise<Uint8Array> {
  const file = name;
  if (bytes.byteLength === 0) throw new InvalidInputError(`${file}: empty file`);
  if (bytes.byteLength > settings.maxFileBytes) {
    throw new InvalidInputError(
      `${file}: file too large (${bytes.byteLength} bytes, limit ${settings.maxFileBytes})`,
    );
  }
  const { width, height, orientation } = await readHeader(file, bytes, settings.maxInputPixels);
  // Crop in the stored orientation and orient the small square afterwards (see orient-square.ts).
  const crop = cropGeometry(width, height, settings.resizeShorterTo, settings.imageSize);
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await openImage(bytes, settings.maxInputPixels)
      // Resize before extracting: a pre-resize extract would switch off JPEG/WebP shrink-on-load.
      // libvips is demand-driven, so only the cropped region of the resized image is computed.
      .resize(crop.resizedWidth, crop.resizedHeight, { fit: 'fill', kernel: settings.resizeKernel })
      .extract({ left: crop.left, top: crop.top, width: crop.size, height: crop.size })
      .flatten({ background: ALPHA_BACKGROUND })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeError(file, error);
  }
  const { data, info } = result;
  if (
    info.width !== crop.size ||
    info.height !== crop.size ||
    info.channels !== 3 ||
    data.byteLength !== crop.size * crop.size * 3
  ) {
    throw new InvalidInputError(
      `${file}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${crop.size}x${crop.size}x3`,
    );
  }
  return orientSquare(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), crop.size, orientation);
}

/**
 * The sharp input options used for both the header read and the decode. `failOn: 'truncated'`
 * refuses truncated files but tolerates libjpeg's benign warnings (e.g. extraneous bytes before a
 * marker), which real data sets contain and PIL also accepts. No `autoOrient`: orientation is applied
 * to the output square (orientSquare). The first page/frame is used for animated GIF/WebP and
 * multi-page TIFF (sharp's default).
 */
function openImage(bytes: Buffer, maxInputPixels: number | false): sharp.Sharp {
  return sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'truncated' });
}

async function readImageFile(file: string, maxFileBytes: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`${file}: no such image file`);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new InvalidInputError(`${file}: not a regular file`);
    if (stat.size === 0) throw new InvalidInputError(`${file}: empty file`);
    if (stat.size > maxFileBytes) {
      throw new InvalidInputError(`${file}: file too large (${stat.size} bytes, limit ${maxFileBytes})`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads the header only: format check, pixel-count check, stored size and EXIF orientation. */
async function readHeader(
  file: string,
  bytes: Buffer,
  maxInputPixels: number,
): Promise<{ width: number; height: number; orientation: number }> {
  let meta: sharp.Metadata;
  try {
    // No pixel limit on the header read (it decodes no pixels), so the check below can name the size.
    meta = await openImage(bytes, false).metadata();
  } catch (error) {
    throw decodeError(file, error);
  }
  const format = String(meta.format ?? 'unknown');
  if (!DECODABLE_FORMATS.has(format))
    throw new InvalidInputError(`${file}: unsupported image format ${format}`);
  if (format === 'heif' && meta.compression !== 'av1') {
    throw new InvalidInputError(
      `${file}: unsupported image format HEIF/${meta.compression ?? 'unknown'} (only AVIF is decoded)`,
    );
  }
  const { width, height } = meta;
  if (!width || !height) throw new InvalidInputError(`${file}: image has no dimensions`);
  // sharp's limitInputPixels guards the decode too, but its message does not name the size.
  if (width * height > maxInputPixels) {
    throw new InvalidInputError(
      `${file}: too many pixels (${width}x${height}, limit ${maxInputPixels}): possible decompression bomb`,
    );
  }
  return { width, height, orientation: meta.orientation ?? 1 };
}

/** Turns a sharp/libvips error into an InvalidInputError that says what is wrong with the file. */
function decodeError(file: string, error: unknown): InvalidInputError {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  let reason: string;
  if (/unsupported image format/i.test(detail)) reason = 'not an image or unsupported format';
  else if (/pixel limit/i.test(detail)) reason = 'too many pixels: possible decompression bomb';
  else if (
    /premature end|truncat|end of (input|file)|unexpected end|not enough data|read error/i.test(detail)
  ) {
    reason = 'truncated or corrupt image';
  } else reason = 'cannot decode image';
  return new InvalidInputError(`${file}: ${reason} (${detail})`, { cause: error });
}

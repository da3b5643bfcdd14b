import type { Split } from '../manifest';
import type { Scene } from '../shapes/scene-record';
import { isContainedRelativePath, toPortableRelative } from '../paths';
import type { Location, ProblemLog } from './problems';

/** A caption longer than this many characters is reported as `overlong_caption` and dropped. */
export const MAX_CAPTION_CHARS = 1000;
/** A caption with more words than this is reported as `overlong_caption` and dropped. */
export const MAX_CAPTION_WORDS = 100;

export interface CollectedImage {
  id: string;
  /** Relative to imagesRoot, forward slashes. */
  file: string;
  split?: Split;
  /** Where the image was first named (the location reported for image-level problems). */
  where: Location;
  /** Where its split was set, for `conflicting_split` messages. */
  splitWhere?: Location;
  captions: string[];
  /** The scene of a synthetic image, kept from a Captioner manifest (grounding needs it). */
  scene?: Scene;
}

/**
 * Gathers images and captions from a format reader, validating as it goes. Policies (see README):
 * - a repeated image record (same id) is `duplicate_image`: the first record wins and the later one is ignored,
 *   captions included; in pair formats (one image-caption pair per line) repeated images are normal and merge;
 * - a caption is trimmed and its inner whitespace (newlines, tabs, U+2028…) collapsed to one space, because
 *   the PTB tokenizer treats some line separators as caption boundaries;
 * - an exact repeat of a caption of the same image is `duplicate_caption` and dropped (re-imports stay stable).
 */
export class ItemCollector {
  private readonly images = new Map<string, CollectedImage>();

  constructor(private readonly log: ProblemLog) {}

  has(id: string): boolean {
    return this.images.has(id);
  }

  get(id: string): CollectedImage | undefined {
    return this.images.get(id);
  }

  all(): CollectedImage[] {
    return [...this.images.values()];
  }

  /** Declares an image record. Returns false (and reports) when the id repeats or the path escapes. */
  addImage(id: string, file: string, where: Location, split?: Split): boolean {
    if (!isContainedRelativePath(file)) {
      this.log.add(
        'path_escape',
        where,
        `image path ${JSON.stringify(file)} is absolute or leaves the images root`,
        id,
      );
      return false;
    }
    const existing = this.images.get(id);
    if (existing !== undefined) {
      this.log.add(
        'duplicate_image',
        where,
        `image id ${JSON.stringify(id)} already defined at ${loc(existing.where)}; this record is ignored`,
        id,
      );
      return false;
    }
    this.images.set(id, {
      id,
      file: toPortableRelative(file),
      where,
      captions: [],
      ...(split ? { split, splitWhere: where } : {}),
    });
    return true;
  }

  /**
   * One image-caption pair (line formats): the image id is its normalized path; repeats merge.
   * Returns false when the path escapes the images root.
   */
  addPair(file: string, caption: string, where: Location, split?: Split): boolean {
    if (!isContainedRelativePath(file)) {
      this.log.add(
        'path_escape',
        { file: where.file, line: where.line, field: 'image' },
        `image path ${JSON.stringify(file)} is absolute or leaves the images root`,
      );
      return false;
    }
    const id = toPortableRelative(file);
    // Image-level problems point at the line that first named the image, not at its caption field.
    if (!this.images.has(id)) this.addImage(id, id, { file: where.file, line: where.line });
    if (split !== undefined) this.setSplit(id, split, where);
    this.addCaption(id, caption, where);
    return true;
  }

  /** Keeps a synthetic image's scene (manifest format). */
  setScene(id: string, scene: Scene): void {
    const image = this.images.get(id);
    if (image !== undefined) image.scene = scene;
  }

  /** Sets an image's split; a different split given later is `conflicting_split` and the first one stays. */
  setSplit(id: string, split: Split, where: Location): void {
    const image = this.images.get(id);
    if (image === undefined) return;
    if (image.split === undefined) {
      image.split = split;
      image.splitWhere = where;
    } else if (image.split !== split) {
      this.log.add(
        'conflicting_split',
        where,
        `image ${JSON.stringify(id)} is in ${split} here but in ${image.split} at ${loc(image.splitWhere ?? image.where)}; keeping ${image.split}`,
        id,
      );
    }
  }

  /** Validates and adds a caption; bad captions are reported and dropped, the image keeps its others. */
  addCaption(id: string, raw: string, where: Location, options: { suspectReplacement?: boolean } = {}): void {
    const image = this.images.get(id);
    if (image === undefined) return;
    if (options.suspectReplacement && raw.includes('\uFFFD')) {
      this.log.add('invalid_utf8', where, 'caption contains bytes that are not valid UTF-8', id);
      return;
    }
    const caption = raw.trim().replace(/\s+/gu, ' ');
    if (caption.length === 0) {
      this.log.add(
        'empty_caption',
        where,
        raw.length === 0 ? 'caption is empty' : 'caption is only whitespace',
        id,
      );
      return;
    }
    const words = caption.split(' ').length;
    if (caption.length > MAX_CAPTION_CHARS || words > MAX_CAPTION_WORDS) {
      this.log.add(
        'overlong_caption',
        where,
        `caption has ${caption.length} characters and ${words} words (limits ${MAX_CAPTION_CHARS}, ${MAX_CAPTION_WORDS})`,
        id,
      );
      return;
    }
    if (image.captions.includes(caption)) {
      this.log.add(
        'duplicate_caption',
        where,
        `caption repeats an earlier caption of ${JSON.stringify(id)}`,
        id,
      );
      return;
    }
    image.captions.push(caption);
  }
}

function loc(where: Location): string {
  if (where.line !== undefined) return `line ${where.line}`;
  return where.field ?? where.file;
}

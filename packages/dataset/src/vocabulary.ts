import fs from 'node:fs/promises';
import { InvalidInputError, NotFoundError, writeJsonAtomic } from '@captioner/core';
import { ptbTokenize } from '@captioner/metrics';
import { z } from 'zod';
import type { DatasetManifest } from './manifest';
import { splitItems } from './manifest';

/** Special tokens and their fixed ids: the model relies on them (0 is padding, 1 starts, 2 ends decoding). */
export const SPECIAL_TOKENS = ['<pad>', '<start>', '<end>', '<unk>'] as const;
export const PAD_ID = 0;
export const START_ID = 1;
export const END_ID = 2;
export const UNK_ID = 3;

export const vocabularyOptionsSchema = z.object({
  /** A word is kept when it occurs at least this often in the training captions. @defaultValue 5 */
  minCount: z.number().int().positive().default(5),
  /** Words per encoded caption; longer captions are clipped (the ids have maxLength + 2 slots). @defaultValue 16 */
  maxLength: z.number().int().positive().default(16),
});
export type VocabularyOptions = z.input<typeof vocabularyOptionsSchema>;

/** The vocabulary file: `words[id]` is the token of id `id`, specials first. */
export const vocabularyJsonSchema = z
  .object({
    formatVersion: z.literal(1),
    minCount: z.number().int().positive(),
    maxLength: z.number().int().positive(),
    words: z.array(z.string().min(1)),
    /** Training-split occurrences per word, aligned with `words` (0 for specials); informational. */
    counts: z.array(z.number().int().nonnegative()),
  })
  .refine((v) => SPECIAL_TOKENS.every((token, id) => v.words[id] === token), {
    message: 'words must start with <pad>, <start>, <end>, <unk>',
  })
  .refine((v) => new Set(v.words).size === v.words.length, { message: 'words must be unique' })
  .refine((v) => v.counts.length === v.words.length, { message: 'counts must align with words' });
export type VocabularyJson = z.infer<typeof vocabularyJsonSchema>;

export class Vocabulary {
  private readonly ids = new Map<string, number>();

  private constructor(
    private readonly words: readonly string[],
    private readonly counts: readonly number[],
    readonly minCount: number,
    /** Words per caption before `<start>`/`<end>`. */
    readonly maxLength: number,
  ) {
    // Specials are not in the map: a caption that contains the text `<pad>` encodes it as `<unk>`, never as padding.
    words.forEach((word, id) => {
      if (id >= SPECIAL_TOKENS.length) this.ids.set(word, id);
    });
  }

  /** Builds from an ordered word list (specials excluded); used by buildVocabulary. */
  static fromWords(
    words: readonly string[],
    counts: readonly number[],
    options: { minCount: number; maxLength: number },
  ): Vocabulary {
    return new Vocabulary(
      [...SPECIAL_TOKENS, ...words],
      [0, 0, 0, 0, ...counts],
      options.minCount,
      options.maxLength,
    );
  }

  static fromJSON(json: unknown): Vocabulary {
    const parsed = vocabularyJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(`vocabulary: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const v = parsed.data;
    return new Vocabulary(v.words, v.counts, v.minCount, v.maxLength);
  }

  /** Number of ids, specials included. */
  get size(): number {
    return this.words.length;
  }

  /** Ids per encoded caption: maxLength words plus `<start>` and `<end>`. */
  get sequenceLength(): number {
    return this.maxLength + 2;
  }

  idOf(word: string): number {
    return this.ids.get(word) ?? UNK_ID;
  }

  wordOf(id: number): string | undefined {
    return this.words[id];
  }

  /** PTB-tokenize, map (unknown words to `<unk>`), clip to maxLength words, wrap in `<start>` … `<end>`. */
  encode(caption: string): number[] {
    const tokens = ptbTokenize(caption).slice(0, this.maxLength);
    return [START_ID, ...tokens.map((t) => this.idOf(t)), END_ID];
  }

  /**
   * Encodes captions into one padded row-major `[rows, length]` array (`length` = maxLength + 2, padding
   * `<pad>` = 0); `lengths[i]` is row i's id count including `<start>` and `<end>` (for masks).
   */
  encodeBatch(captions: readonly string[]): {
    ids: Int32Array;
    length: number;
    rows: number;
    lengths: Int32Array;
  } {
    const length = this.sequenceLength;
    const ids = new Int32Array(captions.length * length);
    const lengths = new Int32Array(captions.length);
    captions.forEach((caption, row) => {
      const encoded = this.encode(caption);
      ids.set(encoded, row * length);
      lengths[row] = encoded.length;
    });
    return { ids, length, rows: captions.length, lengths };
  }

  /** Words of `ids` up to the first `<end>`, specials (and ids out of range) dropped, joined by spaces. */
  decode(ids: ArrayLike<number>): string {
    const words: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === END_ID) break;
      if (id < SPECIAL_TOKENS.length) continue;
      const word = this.words[id];
      if (word !== undefined) words.push(word);
    }
    return words.join(' ');
  }

  toJSON(): VocabularyJson {
    return {
      formatVersion: 1,
      minCount: this.minCount,
      maxLength: this.maxLength,
      words: [...this.words],
      counts: [...this.counts],
    };
  }
}

/**
 * Counts PTB tokens over the training captions only (train + restval; counting val/test would leak them into
 * the model), keeps words seen at least `minCount` times, ordered by descending count, ties alphabetical.
 * Words in captions longer than maxLength are all counted (clipping happens at encoding).
 */
export function buildVocabulary(manifest: DatasetManifest, options: VocabularyOptions = {}): Vocabulary {
  const parsed = vocabularyOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new InvalidInputError(
      `vocabulary options: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
    );
  const { minCount, maxLength } = parsed.data;
  const counts = new Map<string, number>();
  for (const item of splitItems(manifest, 'train')) {
    for (const caption of item.captions) {
      for (const token of ptbTokenize(caption)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
  }
  const special = new Set<string>(SPECIAL_TOKENS);
  const kept = [...counts.entries()]
    .filter(([word, count]) => count >= minCount && !special.has(word))
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
  return Vocabulary.fromWords(
    kept.map(([word]) => word),
    kept.map(([, count]) => count),
    { minCount, maxLength },
  );
}

export async function saveVocabulary(file: string, vocabulary: Vocabulary): Promise<void> {
  await writeJsonAtomic(file, vocabulary.toJSON());
}

export async function loadVocabulary(file: string): Promise<Vocabulary> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`vocabulary not found: ${file}`);
    throw error;
  }
  try {
    return Vocabulary.fromJSON(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InvalidInputError(`${file}: not JSON (${error.message})`);
    if (error instanceof InvalidInputError) throw new InvalidInputError(`${file}: ${error.message}`);
    throw error;
  }
}

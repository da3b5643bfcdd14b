import fs from 'node:fs/promises';
import { InvalidInputError, NotFoundError } from '@captioner/core';

/**
 * Reads a JSON annotation file. Invalid UTF-8 does not make the whole file unusable: the text is decoded
 * with replacement characters and `validUtf8` is false, so that the importer can report the strings
 * that contain U+FFFD and keep the others.
 */
export async function readJsonFile(file: string): Promise<{ json: unknown; validUtf8: boolean }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`annotation file not found: ${file}`);
    throw error;
  }
  let text: string;
  let validUtf8 = true;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    validUtf8 = false;
    text = new TextDecoder('utf-8').decode(bytes);
  }
  try {
    return { json: JSON.parse(text), validUtf8 };
  } catch (error) {
    throw new InvalidInputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

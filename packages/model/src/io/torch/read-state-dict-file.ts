import fs from 'node:fs/promises';
import { NotFoundError } from '@captioner/core';
import { isUrl } from '../fetch-artifact';
import { parseStateDict } from './parse-state-dict';
import type { StateDict } from './state-dict';

/** File names that hold a state dict rather than a tfjs LayersModel directory. */
export function isStateDictLocation(location: string): boolean {
  return /\.(pth|pt|safetensors)$/i.test(location.replace(/[?#].*$/, ''));
}

/** Reads a `.pth`/`.pt`/`.safetensors` file from disk or an `http(s)://` URL into a state dict. */
export async function readStateDictFile(location: string): Promise<StateDict> {
  let bytes: Uint8Array;
  if (isUrl(location)) {
    const response = await fetch(location);
    if (!response.ok) throw new NotFoundError(`${location}: HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    try {
      const buffer = await fs.readFile(location);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`${location} does not exist`);
      throw error;
    }
  }
  return parseStateDict(bytes, location);
}

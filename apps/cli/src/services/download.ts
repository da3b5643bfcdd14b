import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CaptionerError, InvalidInputError, NotFoundError } from '@captioner/core';

/** The network could not be reached (no route, DNS, refused, reset): the one-line offline message. */
export class DownloadUnreachableError extends CaptionerError {
  override readonly code = 'unreachable';
  constructor(
    readonly url: string,
    cause: string,
    hint: string,
  ) {
    super(`cannot download ${url} (${cause}); ${hint}`);
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Downloads `url` into a new file in `dir`, hashing it as it streams, and checks that its SHA-256 starts
 * with `sha256Prefix` (torch.hub's check); a mismatch removes the file. Returns the file, its hash and size.
 * `offlineHint` ends the message when the server cannot be reached.
 */
export async function downloadChecked(input: {
  url: string;
  dir: string;
  sha256Prefix: string;
  offlineHint: string;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}): Promise<{ file: string; sha256: string; bytes: number }> {
  let response: Response;
  try {
    response = await fetch(input.url, { signal: input.signal });
  } catch (error) {
    throw new DownloadUnreachableError(input.url, causeOf(error), input.offlineHint);
  }
  if (!response.ok || !response.body) throw new NotFoundError(`${input.url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  fs.mkdirSync(input.dir, { recursive: true });
  const file = path.join(
    input.dir,
    // The published name last: readers tell a state dict by its extension.
    `${process.pid}-${randomBytes(3).toString('hex')}-${path.basename(new URL(input.url).pathname)}`,
  );
  const hash = createHash('sha256');
  let received = 0;
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    input.onProgress?.(received, total);
  });
  try {
    await pipeline(body, fs.createWriteStream(file));
  } catch (error) {
    fs.rmSync(file, { force: true });
    throw new DownloadUnreachableError(
      input.url,
      `interrupted after ${received} bytes: ${causeOf(error)}`,
      input.offlineHint,
    );
  }
  const sha256 = hash.digest('hex');
  if (!sha256.startsWith(input.sha256Prefix)) {
    fs.rmSync(file, { force: true });
    throw new InvalidInputError(
      `${input.url}: SHA-256 ${sha256.slice(0, 16)}… does not start with ${input.sha256Prefix}, the hash in its file name: refused, nothing registered`,
    );
  }
  return { file, sha256, bytes: received };
}

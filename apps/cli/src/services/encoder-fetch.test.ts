import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createScratchDatabase,
  listEncoderWeights,
  openDatabase,
  resolveEncoderWeights,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { writeRandomResnet18 } from '../testing/encoder-weights';
import { fetchEncoderWeights } from './encoder-fetch';

describe('fetchEncoderWeights (a published file whose name carries its hash, served locally)', () => {
  let home: string;
  let scratch: ScratchDatabase;
  let db: Database;
  let server: http.Server;
  let served: Buffer;
  let requests = 0;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-fetch-'));
    const file = path.join(home, 'source.safetensors');
    (await writeRandomResnet18(file, 21, 32)).dispose();
    served = await fs.readFile(file);
    server = http.createServer((_request, response) => {
      requests++;
      response.writeHead(200, { 'content-length': served.length });
      response.end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    scratch = await createScratchDatabase('sqlite');
    db = await openDatabase(scratch.url);
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await scratch.drop();
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(home, { recursive: true, force: true });
  });

  it('downloads with progress, checks the hash prefix, moves the file under CAPTIONER_HOME and registers it', async () => {
    const sha256 = createHash('sha256').update(served).digest('hex');
    const fileName = `resnet18-${sha256.slice(0, 8)}.pth`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/${fileName}`;
    const progress: Array<[number, number | undefined]> = [];
    const { record, created } = await fetchEncoderWeights(db.client, home, {
      arch: 'resnet18',
      name: 'tv18',
      published: { url, fileName, sha256Prefix: sha256.slice(0, 8) },
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(created).toBe(true);
    expect(record).toMatchObject({
      name: 'tv18',
      architecture: 'resnet18',
      sha256,
      bytes: served.length,
      source: url,
    });
    expect(progress.at(-1)).toEqual([served.length, served.length]);
    expect(progress.length).toBeGreaterThan(1);
    expect((await fs.readFile(record.path)).equals(served)).toBe(true);
    expect(record.path).toBe(path.join(home, 'encoders', 'tv18', 'weights.safetensors'));
    expect(await fs.readdir(path.join(home, 'encoders', '.downloads'))).toEqual([]);
    expect((await listEncoderWeights(db.client)).map((w) => w.name)).toEqual(['tv18']);
    // What a run with model.encoder.weights=tv18 loads.
    expect(await resolveEncoderWeights(db.client, { kind: 'resnet18', weights: 'tv18' })).toEqual({
      kind: 'resnet18',
      weights: record.path,
    });

    // Fetched again: the same file, so nothing changes (and the second download is not kept).
    const again = await fetchEncoderWeights(db.client, home, {
      arch: 'resnet18',
      name: 'tv18',
      published: { url, fileName, sha256Prefix: sha256.slice(0, 8) },
    });
    expect(again.created).toBe(false);
    expect(requests).toBe(2);
    expect(await fs.readdir(path.join(home, 'encoders', '.downloads'))).toEqual([]);
  }, 120_000);
});

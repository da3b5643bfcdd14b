import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import {
  createScratchDatabase,
  findEncoderWeights,
  listEncoderWeights,
  openDatabase,
  registerEncoderWeights,
  resolveEncoderWeights,
} from './index';
import type { Database, ScratchDatabase } from './index';

describe.each(['sqlite', 'postgresql'] as const)('encoder weights on %s', (provider) => {
  let scratch: ScratchDatabase;
  let db: Database;
  const r18 = {
    name: 'r18',
    architecture: 'resnet18',
    format: 'pth',
    path: '/home/encoders/r18/weights.pth',
    sha256: 'f37072fd'.padEnd(64, '0'),
    bytes: 46_830_571,
    source: 'https://download.pytorch.org/models/resnet18-f37072fd.pth',
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    db = await openDatabase(scratch.url);
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  it('registers weights by name, once, and refuses the name for other weights', async () => {
    const first = await registerEncoderWeights(db.client, r18);
    expect(first.id).toMatch(/^enc-/);
    const again = await registerEncoderWeights(db.client, { ...r18, source: '/elsewhere/copy.pth' });
    expect(again.id).toBe(first.id);
    expect(again.source).toBe(r18.source);
    const other = registerEncoderWeights(db.client, { ...r18, sha256: 'a'.repeat(64) });
    await expect(other).rejects.toThrow(InvalidInputError);
    await expect(other).rejects.toThrow(/encoder r18 is already registered with other weights.*--name/);
    await registerEncoderWeights(db.client, { ...r18, name: 'r34', architecture: 'resnet34' });
    expect((await listEncoderWeights(db.client)).map((w) => w.name)).toEqual(['r18', 'r34']);
    expect((await findEncoderWeights(db.client, 'r18'))?.bytes).toBe(r18.bytes);
    expect(await findEncoderWeights(db.client, 'nope')).toBeNull();
  });
});

describe('resolveEncoderWeights', () => {
  let scratch: ScratchDatabase;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase('sqlite');
    db = await openDatabase(scratch.url);
    await registerEncoderWeights(db.client, {
      name: 'tv18',
      architecture: 'resnet18',
      format: 'pth',
      path: '/home/encoders/tv18/weights.pth',
      sha256: 'b'.repeat(64),
      bytes: 10,
      source: '/tmp/tv18.pth',
    });
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  it('turns a registered name into its file, leaves paths and URLs alone, and refuses the rest by name', async () => {
    expect(await resolveEncoderWeights(db.client, { kind: 'resnet18', weights: 'tv18' })).toEqual({
      kind: 'resnet18',
      weights: '/home/encoders/tv18/weights.pth',
    });
    for (const weights of ['/data/r18.pth', 'r18.safetensors', 'https://x.org/r.pth', undefined])
      expect(await resolveEncoderWeights(db.client, { kind: 'resnet18', weights })).toEqual({
        kind: 'resnet18',
        weights,
      });
    await expect(resolveEncoderWeights(db.client, { kind: 'resnet34', weights: 'tv18' })).rejects.toThrow(
      /encoder tv18 is a resnet18, but model.encoder.kind is resnet34/,
    );
    await expect(resolveEncoderWeights(db.client, { kind: 'resnet18', weights: 'tv81' })).rejects.toThrow(
      /no encoder named tv81 is registered.*captioner encoder import FILE --arch resnet18 --name tv81/,
    );
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STALE_TEMPORARY_MS, writeFileAtomic } from './files';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-files-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function touch(name: string, ageMs: number): Promise<void> {
  const file = path.join(dir, name);
  await fs.writeFile(file, 'partial');
  const when = new Date(Date.now() - ageMs);
  await fs.utimes(file, when, when);
}

describe('writeFileAtomic', () => {
  it('replaces the target and removes only stale temporaries of the same target', async () => {
    await touch('shard.bin.tmp-123-dead', STALE_TEMPORARY_MS + 60_000);
    await touch('shard.bin.tmp-456-live', 1_000);
    await touch('other.bin.tmp-789-dead', STALE_TEMPORARY_MS + 60_000);
    await writeFileAtomic(path.join(dir, 'shard.bin'), 'complete');
    expect(await fs.readFile(path.join(dir, 'shard.bin'), 'utf8')).toBe('complete');
    expect((await fs.readdir(dir)).sort()).toEqual([
      'other.bin.tmp-789-dead',
      'shard.bin',
      'shard.bin.tmp-456-live',
    ]);
  });
});

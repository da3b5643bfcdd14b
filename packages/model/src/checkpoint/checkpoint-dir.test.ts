import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptArtifactError, NotFoundError } from '@captioner/core';
import { modelConfigSchema } from '../config';
import { isCheckpointDir, readCheckpointDir, writeCheckpointDir } from './checkpoint-dir';

let root: string;
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const meta = {
  modelConfig: modelConfigSchema.parse({}),
  featureShape: { pooledSize: 2, gridPositions: 1, gridChannels: 2 },
  vocabSize: 10,
  step: 5,
  epoch: 1,
  training: { cursor: { epoch: 1, batch: 0 } },
};

describe('checkpoint directories', () => {
  it('round-trip, replace an existing checkpoint atomically, and leave no temporary directory', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-ckpt-'));
    const dir = path.join(root, 'step-00000005');
    await writeCheckpointDir(dir, meta, {
      'decoder/x': { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
    });
    await writeCheckpointDir(
      dir,
      { ...meta, epoch: 2 },
      { 'decoder/x': { shape: [2, 2], data: Float32Array.from([5, 6, 7, 8]) } },
    );
    const read = await readCheckpointDir(dir);
    expect(read.meta.epoch).toBe(2);
    expect(read.meta.training).toEqual({ cursor: { epoch: 1, batch: 0 } });
    expect(Array.from(read.tensors['decoder/x'].data)).toEqual([5, 6, 7, 8]);
    expect(await fs.readdir(root)).toEqual(['step-00000005']);
    expect(await isCheckpointDir(dir)).toBe(true);
  });

  it('reads a checkpoint written before decoder.positionEncoding existed as positionEncoding none', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-ckpt-'));
    const dir = path.join(root, 'step-00000005');
    const { positionEncoding, ...oldDecoder } = meta.modelConfig.decoder;
    expect(positionEncoding).toBe('coordinates');
    const oldMeta = { ...meta, modelConfig: { ...meta.modelConfig, decoder: oldDecoder } };
    await writeCheckpointDir(dir, oldMeta as typeof meta, {
      'decoder/x': { shape: [1], data: Float32Array.from([1]) },
    });
    expect((await readCheckpointDir(dir)).meta.modelConfig.decoder.positionEncoding).toBe('none');
  });

  it('reports a missing checkpoint as NotFoundError and a damaged one as CorruptArtifactError', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-ckpt-'));
    const dir = path.join(root, 'step-00000005');
    await expect(readCheckpointDir(dir)).rejects.toBeInstanceOf(NotFoundError);
    await writeCheckpointDir(dir, meta, {
      'decoder/x': { shape: [4], data: Float32Array.from([1, 2, 3, 4]) },
    });
    const shard = path.join(dir, 'tensors.shard');
    const bytes = await fs.readFile(shard);
    bytes[bytes.length - 1] ^= 0xff;
    await fs.writeFile(shard, bytes);
    await expect(readCheckpointDir(dir)).rejects.toBeInstanceOf(CorruptArtifactError);
    await fs.writeFile(path.join(dir, 'checkpoint.json'), '{"formatVersion": 1}');
    await expect(readCheckpointDir(dir)).rejects.toBeInstanceOf(CorruptArtifactError);
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { readRunConfigInput } from './run-config-input';

describe('readRunConfigInput', () => {
  it('applies --set values over the --config file, as JSON when they are JSON', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-config-input-'));
    try {
      const file = path.join(dir, 'run.json');
      await fs.writeFile(file, JSON.stringify({ training: { epochs: 1, batchSize: 8 } }));
      expect(
        await readRunConfigInput(file, ['training.epochs=3', 'model.decoder.cell=gru', 'training.epocs=abc']),
      ).toEqual({ training: { epochs: 3, batchSize: 8, epocs: 'abc' }, model: { decoder: { cell: 'gru' } } });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path the config schema would never see', async () => {
    for (const set of ['__proto__.seed=3', 'training..epochs=2', 'training.constructor=1'])
      await expect(readRunConfigInput(undefined, [set])).rejects.toThrow(UsageError);
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, synthShapesDataset } from './testing/cli';

// `run start` with a bad run config: exit 2 (usage/config), one line naming the field, no run created.
describe('run start refuses a bad run config', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-run-config-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
    await synthShapesDataset(home, env, 'tiny', 12);
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('refuses an unknown --set key by name', async () => {
    const result = await runCli(['run', 'start', '--dataset', 'tiny', '--set', 'training.epocs=2'], env);
    expect(result.stderr).toBe('captioner: error: run config: training.epocs: unknown key\n');
    expect(result.code).toBe(2);
  });

  it('refuses a bad --set value with exit code 2', async () => {
    const result = await runCli(['run', 'start', '--dataset', 'tiny', '--set', 'training.epochs=abc'], env);
    expect(result.stderr).toMatch(/^captioner: error: run config: training\.epochs: .*\n$/);
    expect(result.code).toBe(2);
  });

  it('refuses an unknown key in a --config file by name', async () => {
    const file = path.join(home, 'run.json');
    await fs.writeFile(file, JSON.stringify({ model: { decoder: { hiden: 8 } }, training: { epochs: 1 } }));
    const result = await runCli(['run', 'start', '--dataset', 'tiny', '--config', file], env);
    expect(result.stderr).toBe(`captioner: error: ${file}: run config: model.decoder.hiden: unknown key\n`);
    expect(result.code).toBe(2);
    expect(await runCliJson<unknown[]>(['run', 'list'], env)).toEqual([]);
  });
});

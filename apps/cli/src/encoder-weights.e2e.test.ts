import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, parseStateDict, torchvisionStateDictOf } from '@captioner/model';
import { TINY_RUN_CONFIG, runCli, runCliJson, synthShapesDataset } from './testing/cli';
import { writeRandomResnet18 } from './testing/encoder-weights';

/** The tiny run on a torchvision ResNet-18 named by its registered weights. */
const RUN_CONFIG = {
  ...TINY_RUN_CONFIG,
  model: {
    encoder: { kind: 'resnet18', imageSize: 32, weights: 'r18' },
    decoder: { ...TINY_RUN_CONFIG.model.decoder, attention: false },
  },
};

describe('a run on imported encoder weights (model.encoder.weights=<name>, local executor)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-encoder-run-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
    await fs.writeFile(path.join(home, 'run.json'), JSON.stringify(RUN_CONFIG));
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('refuses an unknown name before anything runs, then trains on the registered weights and captions on either engine', async () => {
    await synthShapesDataset(home, env);
    const unknown = await runCli(
      ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'run.json')],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/model.encoder.weights: no encoder named r18 is registered/);
    expect(await runCliJson<unknown[]>(['run', 'list'], env)).toEqual([]);

    const file = path.join(home, 'r18.safetensors');
    (await writeRandomResnet18(file, 5, 32)).dispose();
    await runCliJson(['encoder', 'import', file, '--arch', 'resnet18', '--name', 'r18'], env);
    const started = await runCliJson<{ id: string; status: string }>(
      ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'run.json')],
      env,
    );
    expect(started.status).toBe('succeeded');

    // The run's encoder holds exactly the imported tensors; the stored config keeps the name.
    const runEncoder = await loadEncoder(path.join(home, 'runs', started.id, 'encoder'));
    const imported = parseStateDict(new Uint8Array(await fs.readFile(file)), file);
    const used = torchvisionStateDictOf(runEncoder.model);
    runEncoder.dispose();
    expect([...used.keys()].sort()).toEqual([...imported.keys()].sort());
    for (const [name, tensor] of imported) expect(used.get(name)!.data).toEqual(tensor.data);
    const shown = await runCliJson<{ config: { model: { encoder: { weights: string } } } }>(
      ['run', 'show', started.id],
      env,
    );
    expect(shown.config.model.encoder.weights).toBe('r18');

    const image = path.join(home, 'shapes', 'images', 'shapes-000001.png');
    const onnx = await runCliJson<Array<{ caption: string; engine: string }>>(
      ['caption', image, '--run', started.id],
      { ...env, CAPTIONER_INFERENCE: 'onnx' },
    );
    const tfjs = await runCliJson<Array<{ caption: string; engine: string }>>(
      ['caption', image, '--run', started.id],
      { ...env, CAPTIONER_INFERENCE: 'tfjs' },
    );
    expect(onnx[0].engine).toBe('onnx (cpu)');
    expect(tfjs[0].engine).toBe('tfjs');
    expect(onnx[0].caption).toBe(tfjs[0].caption);
    expect(onnx[0].caption.length).toBeGreaterThan(0);
  });
});

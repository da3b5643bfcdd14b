import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson } from './testing/cli';

interface DemoJson {
  runId: string;
  status: string;
  trained: { Bleu_4: number; CIDEr: number; grounding: { objectsRight: number } | null };
  constantCaption: { caption: string; grounding: unknown };
}

describe('captioner demo (small)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-demo-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('pretrains the encoder on the training split, runs with it, trains self-critically and prints the grounding', async () => {
    const demo = await runCliJson<DemoJson>(
      ['demo', '--images', '80', '--epochs', '1', '--pretrain-epochs', '1', '--self-critical-epochs', '1'],
      env,
    );
    expect(demo.status).toBe('succeeded');
    expect(demo.trained.grounding).not.toBeNull();
    expect(demo.constantCaption.grounding).not.toBeNull();

    const run = await runCliJson<{
      config: {
        model: {
          encoder: { width: number; weights?: string; cellHead?: { grid: number; classes: number } };
          decoder: { contextToOutput: boolean; attentionShift: boolean; hardAttention: boolean };
        };
        training: {
          selfCritical?: { epochs: number; reward: string };
          validation: { metric: string };
          attentionSupervision: number;
        };
      };
      checkpoints: Array<{ path: string }>;
    }>(['run', 'show', demo.runId], env);
    expect(run.config.training.selfCritical).toMatchObject({ epochs: 1, reward: 'CIDEr+grounding' });
    expect(run.config.training.validation.metric).toBe('grounding');
    // The decoder that learns relations: supervised attention, context and attention shift at the output.
    expect(run.config.training.attentionSupervision).toBeGreaterThan(0);
    expect(run.config.model.decoder).toMatchObject({
      contextToOutput: true,
      attentionShift: true,
      hardAttention: true,
    });
    expect(run.checkpoints.some((c) => c.path.includes(`${path.sep}self-critical${path.sep}`))).toBe(true);
    const encoder = run.config.model.encoder;
    expect(encoder.width).toBe(16);
    expect(encoder.weights).toBeDefined();
    // Saved with its cell head: the run's features are the 3x3 scene cells' probabilities of 31 classes.
    expect(encoder.cellHead).toEqual({ grid: 3, classes: 31 });
    // The pretrained encoder the run extracted with, saved at the demo's width (16, 32, 64 filters).
    const saved = JSON.parse(await fs.readFile(path.join(encoder.weights!, 'encoder.json'), 'utf8')) as {
      config: { width: number };
      gridPositions: number;
      gridChannels: number;
    };
    expect(saved).toMatchObject({ config: { width: 16 }, gridPositions: 9, gridChannels: 31 });
  }, 300_000);
});

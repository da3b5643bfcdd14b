import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeEvaluation,
  createEvaluation,
  createRun,
  openDatabase,
  setEvaluationStatus,
  upsertDataset,
} from '@captioner/db';
import { runCli, runCliJson } from '../testing/cli';

const SCORES = { Bleu_1: 0.9, Bleu_2: 0.8, Bleu_3: 0.7, Bleu_4: 0.6, ROUGE_L: 0.75, CIDEr: 2.5 };
const GROUNDING = {
  images: 4,
  objectsNamed: 8,
  objectsRight: 6,
  objectsAbsent: 1,
  relationsStated: 4,
  relationsRight: 1,
  countsStated: 0,
  countsRight: 0,
  imagesAllObjectsRight: 2,
  objectsRightRate: 0.75,
  objectsAbsentRate: 0.125,
  relationsRightRate: 0.25,
  countsRightRate: null,
  imagesAllObjectsRightRate: 0.5,
};

describe('captioner eval show (real SQLite, real process)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-eval-show-'));
    env = { CAPTIONER_HOME: home, DATABASE_URL: `file:${path.join(home, 'captioner.db')}` };
    const database = await openDatabase(env.DATABASE_URL!);
    const db = database.client;
    try {
      const dataset = await upsertDataset(db, {
        name: 'shapes',
        format: 'shapes',
        sourcePath: home,
        manifestPath: path.join(home, 'manifest.json'),
        itemCount: 4,
        captionCount: 20,
        splits: { test: 4 },
        report: { problems: [] },
        problemCount: 0,
      });
      const runId = (await createRun(db, { datasetId: dataset.id, config: {}, executor: 'local' })).id;
      const sample = { imageId: 'img-0', candidate: 'a red circle', references: ['a red circle'] };
      for (const [id, scores] of [
        ['eval-shapes', { ...SCORES, grounding: GROUNDING }],
        ['eval-plain', SCORES],
      ] as const) {
        await createEvaluation(db, { id, runId, checkpointId: null, split: 'test', settings: {} });
        await setEvaluationStatus(db, id, 'running');
        await completeEvaluation(db, id, {
          checkpointId: null,
          scores,
          samples: [{ ...sample, bleu4: 0.6, cider: 2.5, rougeL: 0.75 }],
        });
      }
    } finally {
      await database.close();
    }
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('prints the grounding figures of a shapes evaluation, as percentages with their counts', async () => {
    const result = await runCli(['eval', 'show', 'eval-shapes'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('objects right'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1].split(/\s{2,}/)).toEqual([
      '75.0% (6/8)',
      '12.5% (1/8)',
      '25.0% (1/4)',
      '50.0% (2/4)',
      '-',
    ]);

    const json = await runCliJson<{ scores: Record<string, number>; grounding: unknown }>(
      ['eval', 'show', 'eval-shapes'],
      env,
    );
    expect(json.scores).toEqual(SCORES);
    expect(json.grounding).toEqual(GROUNDING);
  });

  it('prints no grounding for an evaluation without it', async () => {
    const result = await runCli(['eval', 'show', 'eval-plain'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Bleu_4');
    expect(result.stdout).not.toContain('grounding');
    const json = await runCliJson<{ grounding: unknown }>(['eval', 'show', 'eval-plain'], env);
    expect(json.grounding).toBeNull();
  });
});

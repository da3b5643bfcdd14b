import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpointDir } from '@captioner/model';
import { listCheckpoints } from './checkpoint-store';
import { SELF_CRITICAL_DIR } from './self-critical';

const script = fileURLToPath(new URL('./testing/train-process.ts', import.meta.url));

/** Runs the training process; resolves with its stdout. With `killAtStep`, kills it (SIGKILL) once that checkpoint is reported. */
function runTraining(
  dir: string,
  resume: boolean,
  killAtStep?: number,
  mode = 'memory',
): Promise<{ stdout: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // Node itself with tsx as a loader (not the tsx CLI, which would put a second process between us and the trainer).
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, resume ? '1' : '0', mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAtStep !== undefined && !killed && stdout.includes(`checkpoint ${killAtStep}\n`)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (killed || code === 0) resolve({ stdout, killed });
      else reject(new Error(`training process exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

async function finalTensors(dir: string, phase = 'xe') {
  const all = await listCheckpoints(phase === 'scst' ? path.join(dir, SELF_CRITICAL_DIR) : dir);
  return readCheckpointDir(all[all.length - 1].dir);
}

describe.each(['memory', 'stream', 'finetune-aug', 'finetune-stream'])('resume (%s data)', (mode) => {
  it('a training process killed after a checkpoint and resumed reaches the same weights, bit for bit', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-resume-'));
    try {
      const uninterrupted = path.join(root, 'uninterrupted');
      const interrupted = path.join(root, 'interrupted');
      const full = await runTraining(uninterrupted, false, undefined, mode);
      expect(full.stdout).toMatch(/done 18 /);

      // 6 steps per epoch: step 9 is a mid-epoch step checkpoint in epoch 2 (scheduled sampling active).
      const first = await runTraining(interrupted, false, 9, mode);
      expect(first.killed).toBe(true);
      expect(first.stdout).not.toMatch(/done/);
      const second = await runTraining(interrupted, true, undefined, mode);
      expect(second.stdout).toMatch(/done 18 /);
      // The resumed process started after step 9 (it never re-reports earlier checkpoints).
      const resumedSteps = [...second.stdout.matchAll(/checkpoint (\d+)/g)].map((m) => Number(m[1]));
      expect(Math.min(...resumedSteps)).toBeGreaterThan(9);

      const a = await finalTensors(uninterrupted);
      const b = await finalTensors(interrupted);
      expect(b.meta.step).toBe(a.meta.step);
      expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
      for (const name of Object.keys(a.tensors)) {
        expect(
          Buffer.from(b.tensors[name].data.buffer).equals(Buffer.from(a.tensors[name].data.buffer)),
          name,
        ).toBe(true);
      }
      // Same loop state (cursor, best step and score, patience); only the directory roots differ.
      const portable = (training: Record<string, unknown>) =>
        JSON.parse(
          JSON.stringify(training).replaceAll(uninterrupted, '<root>').replaceAll(interrupted, '<root>'),
        );
      expect(portable(b.meta.training)).toEqual(portable(a.meta.training));
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  // Frozen features in memory, and a fine-tuned encoder (whose weights are in the checkpoints too).
  const scstMode = mode === 'finetune-aug' ? 'scst-finetune' : 'scst';
  it.skipIf(mode === 'stream')(
    `a self-critical phase (${scstMode}) killed after a checkpoint and resumed reaches the same weights, bit for bit`,
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-resume-scst-'));
      try {
        const uninterrupted = path.join(root, 'uninterrupted');
        const interrupted = path.join(root, 'interrupted');
        // 6 cross-entropy steps, then 2 self-critical epochs of 6 steps (60 images, 10 per step).
        const full = await runTraining(uninterrupted, false, undefined, scstMode);
        expect(full.stdout).toMatch(/done 18 /);
        // Its checkpoints are apart from the cross-entropy ones, numbered after them.
        const scst = await listCheckpoints(path.join(uninterrupted, SELF_CRITICAL_DIR));
        expect(scst.map((c) => c.step)).toContain(18);
        expect(Math.min(...scst.map((c) => c.step))).toBeGreaterThan(6);

        // Step 9 is the self-critical phase's third step (a step checkpoint, mid-epoch).
        const first = await runTraining(interrupted, false, 9, scstMode);
        expect(first.killed).toBe(true);
        const second = await runTraining(interrupted, true, undefined, scstMode);
        expect(second.stdout).toMatch(/done 18 /);
        const resumedSteps = [...second.stdout.matchAll(/checkpoint (\d+)/g)].map((m) => Number(m[1]));
        expect(Math.min(...resumedSteps)).toBeGreaterThan(9);

        const a = await finalTensors(uninterrupted, 'scst');
        const b = await finalTensors(interrupted, 'scst');
        expect(b.meta.step).toBe(18);
        // Fine-tuning: the encoder's last block is in the self-critical checkpoints, and it moved.
        const encoderNames = Object.keys(a.tensors).filter((n) => n.startsWith('encoder/'));
        expect(encoderNames.length > 0).toBe(scstMode === 'scst-finetune');
        const crossEntropyEnd = await finalTensors(uninterrupted);
        expect(crossEntropyEnd.meta.step).toBe(6);
        const moved = (name: string) =>
          !Buffer.from(a.tensors[name].data.buffer).equals(
            Buffer.from(crossEntropyEnd.tensors[name].data.buffer),
          );
        if (scstMode === 'scst-finetune') expect(encoderNames.some(moved)).toBe(true);
        for (const name of Object.keys(a.tensors)) {
          expect(
            Buffer.from(b.tensors[name].data.buffer).equals(Buffer.from(a.tensors[name].data.buffer)),
            name,
          ).toBe(true);
        }
      } finally {
        await fs.rm(root, { recursive: true, force: true });
      }
      // Three training processes on a shared machine.
    },
    900_000,
  );
});

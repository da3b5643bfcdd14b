import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bin',
  'captioner.mjs',
);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `captioner` command in a child process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`captioner ${args.join(' ')} timed out; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the command and parses its `--json` output; fails with the command's stderr otherwise. */
export async function runCliJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0)
    throw new Error(`captioner ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-3000)}`);
  return JSON.parse(result.stdout) as T;
}

/** Starts a long-running `captioner worker`; its output is kept for failure messages. */
export function startWorker(args: string[], env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [CLI_BIN, 'worker', ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return Object.assign(child, { output: () => output });
}

export function waitForExit(child: ChildProcess, timeoutMs = 60_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** `captioner dataset synth`: `images` shapes images of 32 px in `home/<name>`, registered as `name`. */
export async function synthShapesDataset(
  home: string,
  env: NodeJS.ProcessEnv,
  name = 'tiny',
  images = 60,
): Promise<{ images: number }> {
  const out = path.join(home, name === 'tiny' ? 'shapes' : name);
  return runCliJson<{ images: number }>(
    ['dataset', 'synth', '--out', out, '--images', String(images), '--image-size', '32', '--name', name],
    env,
  );
}

/** A run config small enough for a test to train in seconds (the demo's architecture, scaled down). */
export const TINY_RUN_CONFIG = {
  seed: 3,
  shardSize: 24,
  preprocess: { resizeShorterTo: 32 },
  model: {
    encoder: { imageSize: 32 },
    decoder: { embeddingSize: 32, hiddenSize: 64, attentionSize: 32, maxLength: 14 },
  },
  training: { epochs: 2, batchSize: 16 },
  vocabulary: { minCount: 1 },
  evaluation: { beamSize: 2 },
};

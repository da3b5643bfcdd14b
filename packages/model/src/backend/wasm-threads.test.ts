import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, wasmThreadCount } from './wasm-threads';

describe('wasmThreadCount', () => {
  it('defaults to the cores Node may use, at most the worker pool', () => {
    expect(wasmThreadCount({})).toBe(Math.min(os.availableParallelism(), MAX_WASM_THREADS));
    expect(wasmThreadCount({ CAPTIONER_WASM_THREADS: '' })).toBe(
      Math.min(os.availableParallelism(), MAX_WASM_THREADS),
    );
  });

  it('takes CAPTIONER_WASM_THREADS from 1 to 8', () => {
    expect(wasmThreadCount({ CAPTIONER_WASM_THREADS: '1' })).toBe(1);
    expect(wasmThreadCount({ CAPTIONER_WASM_THREADS: '8' })).toBe(8);
  });

  it.each(['0', '9', '1.5', 'two', '-1'])('refuses %s with a ConfigError', (value) => {
    expect(() => wasmThreadCount({ CAPTIONER_WASM_THREADS: value })).toThrow(ConfigError);
  });
});

describe('a process on threaded wasm', () => {
  it('exits by itself when its work is done (pthread workers do not keep Node alive)', async () => {
    const script = fileURLToPath(new URL('./testing/threaded-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(stdout).toBe(`threads ${wasmThreadCount()} sum ${64 * 32 * 128}\n`);
  });
});

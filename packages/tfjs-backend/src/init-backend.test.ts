import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '@captioner/core';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from './init-backend';
import { wasmThreadCount } from './wasm-threads';

function isInstalled(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('initBackend', () => {
  it('forces wasm and registers the training kernels on it', async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('runs wasm on as many threads as wasmThreadCount() asks for (this file initialises wasm first)', () => {
    expect(getThreadsCount()).toBe(wasmThreadCount());
  });

  it('forces cpu', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(currentBackend()).toBe('cpu');
  });

  it.each(['tfjs-node', 'tfjs-node-gpu'] as const)(
    'loads %s only when its package is installed, else fails with ConfigError',
    async (name) => {
      if (isInstalled(`@tensorflow/${name}`)) {
        expect(await initBackend(name)).toBe(name);
        expect(currentBackend()).toBe(name);
      } else {
        const attempt = initBackend(name);
        await expect(attempt).rejects.toBeInstanceOf(ConfigError);
        await expect(attempt).rejects.toThrow(`@tensorflow/${name}`);
      }
    },
  );

  it('picks the first available backend in order when none is forced', async () => {
    const expected = isInstalled('@tensorflow/tfjs-node-gpu')
      ? 'tfjs-node-gpu'
      : isInstalled('@tensorflow/tfjs-node')
        ? 'tfjs-node'
        : 'wasm';
    expect(await initBackend()).toBe(expected);
    expect(currentBackend()).toBe(expected);
  });
});

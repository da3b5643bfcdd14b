import { describe, expect, it } from 'vitest';
import { pinGpu } from './gpu';

describe('pinGpu (captioner worker --gpu N)', () => {
  it('makes device N the only visible one, in nvidia-smi order', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(pinGpu(1, env)).toBe('1');
    expect(env).toEqual({ CUDA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
  });

  it('counts within the devices CUDA_VISIBLE_DEVICES already allows', () => {
    const env: NodeJS.ProcessEnv = { CUDA_VISIBLE_DEVICES: '2, 3', CUDA_DEVICE_ORDER: 'FASTEST_FIRST' };
    expect(pinGpu(1, env)).toBe('3');
    expect(env).toEqual({ CUDA_VISIBLE_DEVICES: '3', CUDA_DEVICE_ORDER: 'FASTEST_FIRST' });
  });

  it('refuses a device the process cannot see', () => {
    const env: NodeJS.ProcessEnv = { CUDA_VISIBLE_DEVICES: '2,3' };
    expect(() => pinGpu(2, env)).toThrow(
      '--gpu 2: CUDA_VISIBLE_DEVICES=2,3 leaves 2 device(s), numbered 0 to 1',
    );
    expect(env.CUDA_VISIBLE_DEVICES).toBe('2,3');
  });
});

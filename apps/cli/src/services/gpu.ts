import { UsageError } from '@captioner/core';

/**
 * `captioner worker --gpu N`: restricts this process to one GPU by setting CUDA_VISIBLE_DEVICES
 * before tfjs-node-gpu loads (initBackend imports it on first use; CUDA reads the variable when it
 * initialises). N counts the devices this process may already see: with CUDA_VISIBLE_DEVICES=2,3,
 * `--gpu 1` keeps device 3. CUDA_DEVICE_ORDER defaults to PCI_BUS_ID so that N is the index
 * `nvidia-smi` shows (CUDA's own default order puts the fastest device first). Returns the device kept.
 */
export function pinGpu(index: number, env: NodeJS.ProcessEnv): string {
  const visible = env.CUDA_VISIBLE_DEVICES?.trim();
  let device = String(index);
  if (visible) {
    const devices = visible
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    if (index >= devices.length) {
      throw new UsageError(
        `--gpu ${index}: CUDA_VISIBLE_DEVICES=${visible} leaves ${devices.length} device(s), numbered 0 to ${devices.length - 1}`,
      );
    }
    device = devices[index];
  }
  env.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  env.CUDA_VISIBLE_DEVICES = device;
  return device;
}

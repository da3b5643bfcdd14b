/**
 * Audit: which gradients fail or disagree with `cpu` on the `wasm` backend.
 *
 *   npx tsx src/find-missing-kernels.ts             # stock tfjs-backend-wasm
 *   npx tsx src/find-missing-kernels.ts --patched   # after registerWasmTrainingKernels()
 *
 * Prints one line per case: ok, a mismatch (worst relative error), or the error thrown
 * (typically "Kernel 'X' not registered for backend 'wasm'").
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compareCase } from './compare-backends';
import { GRADIENT_CASES } from './gradient-cases';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

const TOLERANCE = 1e-3;

async function main(): Promise<void> {
  if (process.argv.includes('--patched')) registerWasmTrainingKernels();
  const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const missing = tf
    .getKernelsForBackend('cpu')
    .map((k) => k.kernelName)
    .filter((name) => !wasmKernels.has(name));
  console.log(`kernels on cpu but not on wasm: ${missing.join(', ')}\n`);

  let failures = 0;
  for (const testCase of GRADIENT_CASES) {
    try {
      const error = await compareCase(testCase, 'wasm');
      const ok = error <= TOLERANCE;
      if (!ok) failures++;
      console.log(
        `${ok ? 'ok      ' : 'MISMATCH'} ${testCase.name}  (max rel. error ${error.toExponential(1)})`,
      );
    } catch (error) {
      failures++;
      console.log(`FAILED   ${testCase.name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`\n${failures} of ${GRADIENT_CASES.length} cases fail on wasm`);
}

await main();

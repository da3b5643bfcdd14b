/**
 * Kernel timings on cpu, stock wasm and wasm with the training kernels (figures in BACKENDS.md).
 *
 *   npx tsx src/backend/bench-kernels.ts            # everything (~1-2 min, mostly the cpu runs)
 *   npx tsx src/backend/bench-kernels.ts --no-cpu   # wasm only
 *
 * A wasm figure is the median of a few runs after one warm-up; a cpu figure is one run without
 * warm-up, and cpu convolutions use a batch of 1 instead of 8 (the cpu backend needs seconds per
 * image): compare GFLOP/s. Times include reading the result back.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { randomValues } from './compare-backends';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

const withCpu = !process.argv.includes('--no-cpu');

function medianMs(run: () => tf.Tensor | tf.Tensor[], repeats: number, warmUp: boolean): number {
  const once = () => {
    const start = performance.now();
    const out = run();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    tf.dispose(out);
    return performance.now() - start;
  };
  if (warmUp) once();
  const times = Array.from({ length: repeats }, once).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const random = (shape: number[], seed: number) =>
  tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

interface Case {
  name: string;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops: number;
  make: () => { run: () => tf.Tensor | tf.Tensor[]; inputs: tf.Tensor[] };
}

// 640×512 by 512×3000 (a decoder's output projection over a batch of tokens), with the operands
// stored transposed where a flag is set, so that every variant computes the same product.
const [M, K, N] = [640, 512, 3000];
const matMulCases: Case[] = (
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const
).map(([transposeA, transposeB]) => ({
  name: `matMul 640×512 · 512×3000${transposeA ? ' transposeA' : ''}${transposeB ? ' transposeB' : ''}`,
  flops: 2 * M * K * N,
  make: () => {
    const a = random(transposeA ? [K, M] : [M, K], 1);
    const b = random(transposeB ? [N, K] : [K, N], 2);
    return { inputs: [a, b], run: () => tf.matMul(a, b, transposeA, transposeB) };
  },
}));

const fusedCase: Case = {
  name: 'fused matMul + bias + relu, transposeB',
  flops: 2 * M * K * N,
  make: () => {
    const a = random([M, K], 1);
    const b = random([N, K], 2);
    const bias = random([N], 3);
    return {
      inputs: [a, b, bias],
      run: () => tf.fused.matMul({ a, b, bias, transposeB: true, activation: 'relu' }),
    };
  },
};

/** A ResNet stage-1 layer: [batch,56,56,64] input, 3×3×64×64 filter, stride 1, same padding. */
function convCases(batch: number): Case[] {
  const convX = [batch, 56, 56, 64];
  const convF = [3, 3, 64, 64];
  const convFlops = 2 * batch * 56 * 56 * 64 * 3 * 3 * 64;
  return [
    {
      name: `conv2d forward [${batch},56,56,64] * 3×3×64×64`,
      flops: convFlops,
      make: () => {
        const x = random(convX, 4) as tf.Tensor4D;
        const f = random(convF, 5) as tf.Tensor4D;
        return { inputs: [x, f], run: () => tf.conv2d(x, f, 1, 'same') };
      },
    },
    {
      name: 'Conv2DBackpropFilter, same layer',
      flops: convFlops,
      make: () => {
        const x = random(convX, 4);
        const dy = random(convX, 6);
        const attrs = {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: convF,
        } as tf.NamedAttrMap;
        return {
          inputs: [x, dy],
          run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor,
        };
      },
    },
    {
      name: 'Conv2DBackpropInput, same layer',
      flops: convFlops,
      make: () => {
        const dy = random(convX, 6);
        const filter = random(convF, 5);
        const attrs = {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          inputShape: convX,
        } as tf.NamedAttrMap;
        return {
          inputs: [dy, filter],
          run: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor,
        };
      },
    },
  ];
}

async function measure(
  backend: string,
  label: string,
  cases: Case[],
  repeats: number,
  warmUp = true,
): Promise<void> {
  await tf.setBackend(backend);
  for (const c of cases) {
    const { run, inputs } = c.make();
    try {
      const ms = medianMs(run, repeats, warmUp);
      const gflops = c.flops / ms / 1e6;
      console.log(
        `${label.padEnd(12)} ${c.name.padEnd(48)} ${ms.toFixed(1).padStart(8)} ms ${gflops.toFixed(1).padStart(6)} GFLOP/s`,
      );
    } catch (error) {
      console.log(
        `${label.padEnd(12)} ${c.name.padEnd(48)} fails: ${(error as Error).message.split('\n')[0]}`,
      );
    } finally {
      tf.dispose(inputs);
    }
  }
}

async function main(): Promise<void> {
  const all = [...matMulCases, fusedCase, ...convCases(8)];
  if (withCpu) await measure('cpu', 'cpu', [...matMulCases.slice(0, 2), ...convCases(1)], 1, false);
  await measure('wasm', 'wasm stock', all, 3);
  registerWasmTrainingKernels();
  await measure('wasm', 'wasm ours', all, 5);
}

await main();

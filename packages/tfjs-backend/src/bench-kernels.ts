/**
 * Kernel timings on cpu, stock wasm and wasm with the training kernels (figures in README.md).
 *
 *   npx tsx src/bench-kernels.ts            # everything (~2 min, mostly the cpu runs)
 *   npx tsx src/bench-kernels.ts --no-cpu   # wasm only (~2-3 min on a loaded machine)
 *   npx tsx src/bench-kernels.ts --no-cpu --only=stride   # cases whose name contains `stride`
 *
 * A wasm figure is the median of 3 runs after one warm-up, stock and our kernels taking turns; a
 * cpu figure is one run without warm-up, and cpu convolutions use a batch of 1 instead of 8 (the
 * cpu backend needs seconds per image, ~50 s for one image's filter gradient): compare GFLOP/s.
 * Times include reading the result back.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { randomValues } from './compare-backends';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

const withCpu = !process.argv.includes('--no-cpu');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const selected = (cases: Case[]) => cases.filter((c) => only === undefined || c.name.includes(only));

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

/** The wasm kernels registerWasmTrainingKernels adds or replaces that this script times. */
const SWAPPED = ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'];
type KernelSet = Map<string, tf.KernelConfig | undefined>;

function snapshot(): KernelSet {
  return new Map(SWAPPED.map((name) => [name, tf.getKernel(name, 'wasm')]));
}

function install(kernels: KernelSet): void {
  for (const [name, config] of kernels) {
    if (tf.getKernel(name, 'wasm') != null) tf.unregisterKernel(name, 'wasm');
    if (config) tf.registerKernel(config);
  }
}

function timeOnce(run: () => tf.Tensor | tf.Tensor[]): number {
  const start = performance.now();
  const out = run();
  for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
  tf.dispose(out);
  return performance.now() - start;
}

const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];

function report(label: string, c: Case, ms: number | string): void {
  const figure =
    typeof ms === 'number'
      ? `${ms.toFixed(1).padStart(8)} ms ${(c.flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`
      : ms;
  console.log(`${label.padEnd(11)} ${c.name.padEnd(50)} ${figure}`);
}

/** cpu: one run per case, no warm-up (seconds each). */
async function measureCpu(cases: Case[]): Promise<void> {
  await tf.setBackend('cpu');
  for (const c of cases) {
    const { run, inputs } = c.make();
    report('cpu', c, timeOnce(run));
    tf.dispose(inputs);
  }
}

/**
 * wasm: stock and our kernels take turns on the same inputs (median of `repeats` each, after a
 * warm-up), so that load from other processes on a shared machine hits both alike.
 */
async function measureWasm(cases: Case[], repeats: number): Promise<void> {
  await tf.setBackend('wasm');
  const stock = snapshot();
  registerWasmTrainingKernels();
  const ours = snapshot();
  for (const c of cases) {
    const { run, inputs } = c.make();
    const times: Record<'stock' | 'ours', number[]> = { stock: [], ours: [] };
    let stockError: string | undefined;
    for (let i = 0; i <= repeats; i++) {
      for (const variant of ['stock', 'ours'] as const) {
        if (variant === 'stock' && stockError) continue;
        install(variant === 'stock' ? stock : ours);
        try {
          const ms = timeOnce(run);
          if (i > 0) times[variant].push(ms);
        } catch (error) {
          stockError = `fails: ${(error as Error).message.split('\n')[0]}`;
        }
      }
    }
    report('wasm stock', c, stockError ?? median(times.stock));
    report('wasm ours', c, median(times.ours));
    tf.dispose(inputs);
  }
  install(ours);
}

/** A ResNet stage transition: [8,56,56,64] input, 3×3×64×128 filter, stride 2, same (28×28 out). */
function stride2Cases(): Case[] {
  const x = [8, 56, 56, 64];
  const dyShape = [8, 28, 28, 128];
  const filterShape = [3, 3, 64, 128];
  const flops = 2 * 8 * 28 * 28 * 128 * 3 * 3 * 64;
  const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC' };
  return [
    {
      name: 'Conv2DBackpropFilter, 3×3×64×128 stride 2',
      flops,
      make: () => {
        const [xs, dy] = [random(x, 4), random(dyShape, 6)];
        const a = { ...attrs, filterShape } as tf.NamedAttrMap;
        return {
          inputs: [xs, dy],
          run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, a) as tf.Tensor,
        };
      },
    },
    {
      name: 'Conv2DBackpropInput, 3×3×64×128 stride 2',
      flops,
      make: () => {
        const [dy, filter] = [random(dyShape, 6), random(filterShape, 5)];
        const a = { ...attrs, inputShape: x } as tf.NamedAttrMap;
        return {
          inputs: [dy, filter],
          run: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, a) as tf.Tensor,
        };
      },
    },
  ];
}

/**
 * Loss and gradients of a teacher-forced LSTM decoder over one batch: B32, T20, E256, H512,
 * V3000 (640 tokens). FLOPs: forward ≈ 20 · 2·32·768·2048 + 2·640·512·3000 ≈ 4 GFLOP; backward ≈ 2×.
 */
const lstmCase: Case = {
  name: 'LSTM decoder loss + gradients, 640 tokens',
  flops: 3 * (20 * 2 * 32 * 768 * 2048 + 2 * 640 * 512 * 3000),
  make: () => {
    const [batch, steps, embed, hidden, vocab] = [32, 20, 256, 512, 3000];
    const small = (shape: number[], seed: number) => tf.variable(tf.mul(random(shape, seed), 0.05));
    const weights = {
      embedding: small([vocab, embed], 11),
      kernel: small([embed + hidden, 4 * hidden], 12),
      bias: small([4 * hidden], 13),
      output: small([hidden, vocab], 14),
    };
    const ids = Int32Array.from({ length: batch * (steps + 1) }, (_, i) => (i * 7919) % vocab);
    const tokens = tf.tensor2d(ids, [batch, steps + 1], 'int32');
    const loss = () =>
      tf.tidy(() => {
        let c = tf.zeros([batch, hidden]) as tf.Tensor2D;
        let h = tf.zeros([batch, hidden]) as tf.Tensor2D;
        const outputs: tf.Tensor2D[] = [];
        for (let t = 0; t < steps; t++) {
          const input = tf.gather(weights.embedding, tokens.slice([0, t], [batch, 1]).reshape([batch]));
          [c, h] = tf.basicLSTMCell(
            tf.scalar(1),
            weights.kernel as tf.Tensor2D,
            weights.bias as tf.Tensor1D,
            input as tf.Tensor2D,
            c,
            h,
          );
          outputs.push(h);
        }
        const logits = tf.matMul(tf.concat(outputs, 0), weights.output);
        const targets = tf.transpose(tokens.slice([0, 1], [batch, steps])).reshape([-1]);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(targets as tf.Tensor1D, vocab), logits) as tf.Scalar;
      });
    return {
      inputs: [...Object.values(weights), tokens],
      run: () => {
        const { value, grads } = tf.variableGrads(loss);
        return [value, ...Object.values(grads)];
      },
    };
  },
};

async function main(): Promise<void> {
  if (withCpu) await measureCpu(selected([...matMulCases.slice(0, 2), ...convCases(1)]));
  await measureWasm(selected([...matMulCases, fusedCase, ...convCases(8), ...stride2Cases(), lstmCase]), 3);
}

await main();

/** `npx tsx scripts/bench-train.ts [backend] [steps]`: decoder training throughput (the configuration). */
import { initBackend } from '@captioner/model';
import { benchTrain } from '../src/index';

const backend = await initBackend((process.argv[2] ?? 'wasm') as never);
const result = await benchTrain({ steps: Number(process.argv[3] ?? 10) });
console.log(
  `${backend}: ${result.tokensPerSecond.toFixed(0)} tokens/s wall, ${result.tokensPerCpuSecond.toFixed(0)} tokens per CPU second (${(result.secondsPerStep * 1000).toFixed(0)} ms/step over ${result.steps} steps)`,
);

/**
 * One training process of `captioner bench scale`: streams the synthetic shards in argv[2] (a JSON
 * `ScaleChildArgs`), trains `steps` steps of an attention decoder on them, then prints one JSON line with
 * its peak RSS (VmHWM) and the tokens/s of the steps after the warm-up.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CancelledError } from '@captioner/core';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { inputSettingsSchema } from '@captioner/stage-contract';
import { trainingConfigSchema } from '../loop/config';
import { trainCaptioner } from '../loop/train-captioner';
import { buildStreamIndex } from './stream-index';
import { syntheticCaptions } from './bench-scale-data';
import type { ScaleChildArgs } from './bench-scale-data';

const args = JSON.parse(process.argv[2]) as ScaleChildArgs;
await initBackend(args.backend);
const files = (await fs.readdir(args.dir))
  .filter((f) => f.endsWith('.shard'))
  .sort()
  .map((f) => path.join(args.dir, f));
const captions = syntheticCaptions(args);
const withGrid = true;
const train = await buildStreamIndex({
  files,
  wanted: undefined,
  captionsOf: (id) => (id.startsWith('v') ? undefined : captions(id)),
  captionLength: args.captionWords + 2,
  vocabSize: args.vocabSize,
  withGrid,
});
const val = await buildStreamIndex({ files, wanted: { has: (id) => id.startsWith('v') }, withGrid });
// CAPTIONER_BENCH_DEBUG=1: where the memory goes (RSS after each phase) on stderr.
const debug = (phase: string) => {
  if (process.env.CAPTIONER_BENCH_DEBUG)
    process.stderr.write(`${phase}: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
};
debug('index');
const checkpointsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-bench-scale-ckpt-'));
const stop = new AbortController();
const marks: Array<{ step: number; at: number }> = [];
const started = performance.now();
try {
  await trainCaptioner({
    modelConfig: modelConfigSchema.parse({ decoder: { attention: true, dropout: 0 } }),
    trainingConfig: trainingConfigSchema.parse({
      epochs: 1,
      batchSize: args.batchSize,
      checkpointEverySteps: 1_000_000,
      logEverySteps: 1_000_000,
      input: inputSettingsSchema.parse(args.input),
    }),
    data: {
      vocabSize: args.vocabSize,
      train: { kind: 'stream', index: train, input: inputSettingsSchema.parse(args.input) },
      val: { kind: 'stream', index: val, references: () => ['a'] },
      featureShape: train.featureShape,
      decodeTokens: (ids) => ids.join(' '),
    },
    checkpointsDir,
    signal: stop.signal,
    onProgress: (u) => {
      const step = Number(u.figures?.step ?? 0);
      debug(`step ${step}`);
      if (step === args.warmupSteps || step === args.warmupSteps + args.steps)
        marks.push({ step, at: performance.now() });
      if (step >= args.warmupSteps + args.steps) stop.abort();
    },
  });
} catch (error) {
  if (!(error instanceof CancelledError)) throw error;
} finally {
  await fs.rm(checkpointsDir, { recursive: true, force: true });
}
const status = await fs.readFile('/proc/self/status', 'utf8').catch(() => '');
const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
const [from, to] = marks;
const tokensPerStep = args.batchSize * (args.captionWords + 1);
process.stdout.write(
  JSON.stringify({
    peakRssBytes: hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024,
    tokensPerSecond: (tokensPerStep * args.steps) / ((to.at - from.at) / 1000),
    seconds: (performance.now() - started) / 1000,
    trainImages: train.images,
    trainCaptions: train.captionImage.length,
    shards: files.length,
  }) + '\n',
);

import type { Command } from 'commander';
import { benchScore } from '@captioner/metrics';
import { benchPreprocess } from '@captioner/preprocessing';
import { benchDecode, benchFeatures, initBackend } from '@captioner/model';
import { loadConfig } from '@captioner/core';
import { printJson, printLine } from '../output';
import { positiveIntOption } from '../options';
import { ProgressView } from '../progress';

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('measure speed (figures for the README and issues)');

  bench
    .command('preprocess')
    .description('decode + resize + crop generated 500x375 JPEGs to 224x224, with 1 and 2 processes')
    .option('--images <n>', 'images', positiveIntOption, 400)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const results = [];
      for (const processes of [1, 2]) {
        const view = new ProgressView();
        results.push(
          await benchPreprocess({
            images: opts.images,
            processes,
            onProgress: (u) => view.update(`${processes} process(es)`, u),
          }),
        );
        view.stop();
      }
      if (opts.json) printJson(results);
      else
        for (const r of results)
          printLine(
            `${r.processes} process(es): ${r.imagesPerSecond.toFixed(1)} images/s (${r.images} images)`,
          );
    });

  bench
    .command('train')
    .description('decoder training throughput: E256 H512 V3000 T20 B32, features 512, Adam')
    .option('--steps <n>', 'timed steps', positiveIntOption, 20)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await initBackend(loadConfig().backend);
      // Loaded on use: the training package pulls in the whole model stack.
      const { benchTrain } = await import('@captioner/training');
      const result = await benchTrain({ steps: opts.steps });
      if (opts.json) printJson(result);
      else
        printLine(
          `${result.tokensPerSecond.toFixed(0)} tokens/s on ${result.backend} (${result.steps} steps)`,
        );
    });

  bench
    .command('e2e')
    .description(
      'fine-tuning throughput: ResNet-18 at 224 + the decoder of `bench train`, batch 8, forward, backward and Adam on both',
    )
    .option('--steps <n>', 'timed steps', positiveIntOption, 3)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await initBackend(loadConfig().backend);
      const { benchE2e } = await import('@captioner/training');
      const result = await benchE2e({ steps: opts.steps });
      if (opts.json) printJson(result);
      else
        printLine(
          `${result.imagesPerSecond.toFixed(2)} images/s on ${result.backend} (${result.kind} ${result.imageSize}px, batch ${result.batchSize}, ${result.steps} steps)`,
        );
    });

  bench
    .command('features')
    .description('encoder throughput: ResNet-34, 224x224, batch 16, random weights, pooled features')
    .option('--engine <engine>', 'onnx or tfjs', 'onnx')
    .option('--batches <n>', 'timed batches', positiveIntOption, 3)
    .option('--threads <n>', 'ONNX Runtime intra-op threads', positiveIntOption, 2)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await initBackend(loadConfig().backend);
      const result = await benchFeatures({
        engine: opts.engine,
        batches: opts.batches,
        threads: opts.threads,
      });
      if (opts.json) printJson(result);
      else
        printLine(
          `${result.imagesPerSecond.toFixed(2)} images/s on ${result.engine} (${result.kind} ${result.imageSize}px, batch ${result.batchSize}, ${result.batches} batches)`,
        );
    });

  bench
    .command('decode')
    .description(
      'greedy decoding: batch 32, 20 words, E256 H512 V3000 LSTM, pooled features 512, no attention',
    )
    .option('--batches <n>', 'timed batches', positiveIntOption, 5)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await initBackend(loadConfig().backend);
      const result = await benchDecode({ batches: opts.batches });
      if (opts.json) printJson(result);
      else
        printLine(
          `${result.captionsPerSecond.toFixed(1)} captions/s on ${result.engine} (batch ${result.batchSize}, ${result.stepsPerBatch} steps per batch)`,
        );
    });

  bench
    .command('scale')
    .description(
      'peak RSS and tokens/s of streamed training at 10k, 100k and 600k captions (synthetic ResNet-50 features, temporary shards)',
    )
    .option('--sizes <list>', 'comma-separated caption counts', '10000,100000,600000')
    .option('--captions-per-image <n>', 'captions per image', positiveIntOption, 5)
    .option(
      '--images <n>',
      'train images of every size (shards written once; captions per image grow instead)',
      positiveIntOption,
    )
    .option('--float32', 'store the grid as float32 (twice the disk) instead of float16')
    .option('--steps <n>', 'timed training steps per size', positiveIntOption, 30)
    .option('--warmup-steps <n>', 'untimed training steps first', positiveIntOption, 5)
    .option('--batch-size <n>', 'captions per step', positiveIntOption, 32)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const { benchScale } = await import('@captioner/training');
      const sizes = String(opts.sizes)
        .split(',')
        .map((v) => positiveIntOption(v.trim()));
      const view = new ProgressView();
      const result = await benchScale(
        {
          sizes,
          captionsPerImage: opts.captionsPerImage,
          images: opts.images,
          float16: !opts.float32,
          steps: opts.steps,
          warmupSteps: opts.warmupSteps,
          batchSize: opts.batchSize,
        },
        (u) => view.update('bench scale', u),
      );
      view.stop();
      if (opts.json) printJson(result);
      else
        for (const r of result.rows)
          printLine(
            `${r.captions} captions (${r.images} images x ${r.captionsPerImage}, ${r.shards} shards, ${(r.shardBytes / 1e9).toFixed(1)} GB): peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${r.tokensPerSecond.toFixed(0)} tokens/s`,
          );
    });

  bench
    .command('score')
    .description('score 5,000 images x 5 references (tokenization included)')
    .option('--images <n>', 'images', positiveIntOption, 5000)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const result = benchScore({ images: opts.images });
      if (opts.json) printJson(result);
      else
        printLine(
          `${result.images} images scored in ${result.seconds.toFixed(3)} s wall, ${result.cpuSeconds.toFixed(3)} s CPU (${result.imagesPerSecond.toFixed(0)} images/s)`,
        );
    });
}

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

/**
 * A real training process for the resume test: `tsx train-process.ts <checkpointsDir> <resume:0|1> [mode]`.
 * `scst`: a self-critical phase follows the cross-entropy one. `stream`: the toy features are written to
 * float16 feature shards next to the checkpoints and streamed from them (small shards and shuffle buffer,
 * so an epoch crosses many shards). Prints `checkpoint <step>` after each checkpoint so the test can kill
 * it at a known point. `finetune-aug`: the encoder's last block trains too, from images augmented per batch
 * (crop, flip with mirrored captions, colour jitter). `scst-finetune`: `scst` with that encoder training
 * through both phases. `finetune-stream`: `finetune-aug` with the images streamed from 8-bit image shards
 * (small shards and shuffle buffer) instead of held in memory.
 */
import fs from 'node:fs/promises';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { trainCaptioner } from '../train-captioner';
import { trainSelfCritical } from '../self-critical';
import { trainingConfigSchema } from '../config';
import { exactMatchScorer, toyCaptionData } from './toy-data';
import { toyStreamedData } from '../../input/testing/toy-shards';
import { toyFineTuneData } from './toy-images';
import { toyStreamedFineTune } from '../../input/testing/toy-image-shards';

async function mkdirp(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

const [checkpointsDir, resume, mode] = process.argv.slice(2);
await initBackend('wasm');
const toy = toyCaptionData({ images: 60, valImages: 10, seed: 3 });
const scst = mode === 'scst' || mode === 'scst-finetune';
const tuned =
  mode === 'finetune-aug' || mode === 'scst-finetune'
    ? await toyFineTuneData(fineTuneModelConfig(), 60, 10)
    : undefined;
const streamedTune =
  mode === 'finetune-stream'
    ? await toyStreamedFineTune(fineTuneModelConfig(), 60, 10, await mkdirp(`${checkpointsDir}-shards`), {
        imagesPerShard: 9,
        input: { shuffleBuffer: 8, prefetchShards: 1 },
      })
    : undefined;
const data = tuned
  ? tuned.data
  : streamedTune
    ? streamedTune.data
    : mode === 'stream'
      ? await toyStreamedData(toy, await mkdirp(`${checkpointsDir}-shards`), {
          imagesPerShard: 9,
          float16: true,
          input: { shuffleBuffer: 8, prefetchShards: 1 },
        })
      : toy;
const options = {
  modelConfig: tuned || streamedTune ? fineTuneModelConfig() : resumeModelConfig(),
  fineTune: tuned?.fineTune ?? streamedTune?.fineTune,
  trainingConfig: trainingConfigSchema.parse({
    // One cross-entropy epoch before a self-critical phase: that phase is what its test resumes.
    epochs: scst ? 1 : 3,
    batchSize: 10,
    learningRate: 0.01,
    checkpointEverySteps: 3,
    keepLastCheckpoints: 2,
    scheduledSampling: { enabled: true, startEpoch: 1 },
    ...(scst
      ? {
          selfCritical: {
            epochs: 2,
            samples: 3,
            batchSize: 10,
            learningRate: 0.001,
            crossEntropyWeight: 0.5,
          },
        }
      : {}),
  }),
  data,
  checkpointsDir,
  resume: resume === '1',
  scoreCaptions: exactMatchScorer,
  onCheckpoint: (c: { step: number }) => {
    process.stdout.write(`checkpoint ${c.step}\n`);
  },
};
const crossEntropy = await trainCaptioner(options);
const result = scst
  ? await trainSelfCritical({
      ...options,
      data: tuned ? tuned.data : toy,
      fineTune: tuned?.fineTune,
      crossEntropy,
    })
  : crossEntropy;
process.stdout.write(`done ${result.steps} ${result.last.dir}\n`);

function fineTuneModelConfig() {
  return modelConfigSchema.parse({
    encoder: { kind: 'small-resnet', imageSize: 32, trainable: true, trainableBlocks: 1 },
    decoder: { embeddingSize: 16, hiddenSize: 32, attentionSize: 16, attention: true, dropout: 0.3 },
  });
}

function resumeModelConfig() {
  // Dropout and attention on, so that the test covers their random draws and extra weights.
  return modelConfigSchema.parse({
    decoder: { embeddingSize: 16, hiddenSize: 32, attentionSize: 16, attention: true, dropout: 0.3 },
  });
}

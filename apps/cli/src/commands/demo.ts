import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { artifactPaths, createLogger } from '@captioner/core';
import { getRunDetails, listEvaluationSamples, readScores } from '@captioner/db';
import type { Grounding } from '@captioner/db';
import { startRun } from '@captioner/pipeline';
import { encoderConfigSchema } from '@captioner/model';
import type { EncoderConfig } from '@captioner/model';
import { synthesizeShapes } from '@captioner/dataset';
import { scoreConstantCaption, scoreUntrainedDecoder } from '@captioner/evaluation';
import { withContext } from '../context';
import { formatScore, jsonColumn, printJson, printLine, printTable } from '../output';
import { GROUNDING_HEADERS, groundingCells } from '../grounding';
import { positiveIntOption, intOption } from '../options';
import { ProgressView } from '../progress';
import { registerDataset } from '../services/datasets';
import { pretrainShapesEncoder } from '../services/pretrain-encoder';
import { operationContext } from '../services/runs';

/** The demo's data: big enough to learn the shapes grammar, small enough for a 2-core machine. */
const DEMO_IMAGE_SIZE = 64;
/**
 * Epochs of encoder pretraining on the training split's scenes (see services/pretrain-encoder.ts): a
 * random frozen encoder loses which shape is where, and the captions then name absent shapes. Six, not
 * four: after four, small squares were still read as circles on some data seeds (2.9% of named objects
 * absent with `--seed 3`; packages/model/README.md, "Relations").
 */
const DEMO_PRETRAIN_EPOCHS = 6;
/**
 * Cross-entropy epochs: the relation words need more than the run config's default 3; with hard attention
 * validation picks a checkpoint of the sixth or earlier.
 */
const DEMO_EPOCHS = 6;
/** The decoder's Adam learning rate in the demo. */
const DEMO_LEARNING_RATE = 0.01;
/** small-resnet's first-stage filters: half the default, so that pretraining fits in the demo's time. */
const DEMO_ENCODER_WIDTH = 16;
/**
 * The self-critical phase after cross-entropy: rewarded with CIDEr-D plus grounding against the training
 * scenes, and checkpoints selected on the validation captions' grounding (packages/model/README.md,
 * "Grounding of the demo's model"). One epoch by default, about 20 s.
 */
const DEMO_SELF_CRITICAL = { reward: 'CIDEr+grounding', groundingWeight: 3, learningRate: 0.001 } as const;
const DEMO_SELF_CRITICAL_EPOCHS = 1;
/**
 * How the demo's decoder learns relations (packages/model/README.md, "Relations"): each word's attention
 * is supervised to the cell of the shape it names (a relation word: the shape it relates the subject to),
 * each step reads the one cell it attends to most (in training, the word's target cell), and the output
 * layer reads what the decoder sees and how far its attention moved since the last word.
 */
const DEMO_DECODER = {
  contextToOutput: true,
  attentionShift: true,
  hardAttention: true,
  // Half the default sizes: the shapes' 40 words need no more, and each epoch is about twice as fast.
  hiddenSize: 128,
  embeddingSize: 64,
  attentionSize: 64,
} as const;
const DEMO_ATTENTION = { attentionSupervision: 4, attentionRegularization: 0 } as const;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('synthesize the shapes data set, train and evaluate a captioner on it, print the scores')
    .option('--images <n>', 'images to synthesize', positiveIntOption, 1500)
    .option('--seed <s>', 'data and training seed', intOption, 1)
    .option('--epochs <n>', 'cross-entropy training epochs', positiveIntOption, DEMO_EPOCHS)
    .option(
      '--pretrain-epochs <n>',
      'epochs of encoder pretraining on the training split (0: a random frozen encoder)',
      intOption,
      DEMO_PRETRAIN_EPOCHS,
    )
    .option(
      '--self-critical-epochs <n>',
      'epochs of self-critical training (reward: CIDEr-D and grounding) after cross-entropy (0: none)',
      intOption,
      DEMO_SELF_CRITICAL_EPOCHS,
    )
    .option('--json', 'print the results as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const started = Date.now();
        const db = (await ctx.db()).client;
        const outDir = path.join(
          artifactPaths(ctx.config.home).datasetsDir,
          `shapes-demo-src-${opts.seed}-${opts.images}`,
        );
        const view = new ProgressView();
        process.stderr.write(
          `Captioner demo: data in ${ctx.config.home}, database ${(await ctx.db()).displayUrl}\n`,
        );
        const { manifest } = await synthesizeShapes({
          outDir,
          images: opts.images,
          seed: opts.seed,
          imageSize: DEMO_IMAGE_SIZE,
          onProgress: (u) => view.update('synthesize shapes', u),
        });
        view.stop();
        const dataset = await registerDataset(db, ctx.config.home, {
          name: 'shapes-demo',
          format: 'shapes',
          sourcePath: outDir,
          manifest,
          report: null,
        });
        // The synthetic images are already square and small: resize only, no crop (shapes near
        // the border stay whole, so the captions stay true).
        const preprocess = { resizeShorterTo: DEMO_IMAGE_SIZE };
        const encoderShape = { imageSize: DEMO_IMAGE_SIZE, width: DEMO_ENCODER_WIDTH };
        const encoder = { ...encoderShape, ...(await pretrainedWeights()) };
        const runConfig = {
          seed: opts.seed,
          preprocess,
          model: { encoder, decoder: DEMO_DECODER },
          vocabulary: { minCount: 1, maxLength: 16 },
          // 5x the default rate: with a pretrained encoder the decoder's three epochs are what limits
          // grounding, and at 0.002 it is far from converged (packages/model/README.md, "Grounding").
          training: {
            learningRate: DEMO_LEARNING_RATE,
            ...DEMO_ATTENTION,
            epochs: opts.epochs,
            ...(opts.selfCriticalEpochs > 0
              ? {
                  selfCritical: { ...DEMO_SELF_CRITICAL, epochs: opts.selfCriticalEpochs },
                  validation: { metric: 'grounding' },
                }
              : {}),
          },
        };
        /**
         * Pretrains the encoder on the training split (never val/test) and names it as the run's weights,
         * with its cell head: the decoder reads each scene cell's class probabilities.
         */
        async function pretrainedWeights(): Promise<Partial<Pick<EncoderConfig, 'weights' | 'cellHead'>>> {
          if (opts.pretrainEpochs <= 0) return {};
          const weightsDir = `${outDir}-encoder-${opts.pretrainEpochs}`;
          await fs.rm(weightsDir, { recursive: true, force: true });
          const result = await pretrainShapesEncoder({
            manifest,
            preprocess: { ...preprocess, imageSize: DEMO_IMAGE_SIZE },
            encoder: encoderConfigSchema.parse(encoderShape),
            seed: opts.seed,
            epochs: opts.pretrainEpochs,
            withHead: true,
            outDir: weightsDir,
            backend: ctx.config.backend,
            onProgress: (u) =>
              view.update('pretrain encoder', {
                fraction: (u.epoch - 1 + u.step / u.steps) / opts.pretrainEpochs,
                message: `epoch ${u.epoch}/${opts.pretrainEpochs} step ${u.step}/${u.steps}`,
                figures: { loss: u.loss },
              }),
          });
          view.stop();
          process.stderr.write(
            `encoder pretrained on ${result.images} training images: loss ${result.loss.toFixed(3)}, cell accuracy ${(100 * result.accuracy).toFixed(1)}%\n`,
          );
          return { weights: weightsDir, cellHead: result.cellHead };
        }
        const plan = await startRun(operationContext(ctx.config, db), {
          dataset: dataset.name,
          runConfig,
          name: 'demo',
        });
        const run = await getRunDetails(db, plan.runId);
        const evaluation = run.evaluations.find((e) => e.id === plan.evaluation.evaluationId);
        const stored = readScores(evaluation?.scores);
        const scores = stored.scores ?? {};
        process.stderr.write('scoring an untrained decoder for comparison…\n');
        const untrained = await scoreUntrainedDecoder(db, ctx.config.home, {
          runId: plan.runId,
          split: plan.evaluation.split,
          beamSize: plan.evaluation.beamSize,
          backend: ctx.config.backend,
        });
        process.stderr.write('scoring the best constant caption for comparison…\n');
        const constant = await scoreConstantCaption(db, {
          runId: plan.runId,
          split: plan.evaluation.split,
        });
        const samples = await listEvaluationSamples(db, plan.evaluation.evaluationId, 5);
        const seconds = (Date.now() - started) / 1000;
        const best = run.checkpoints.find((c) => c.isBest);
        // Imported here: the training package loads tfjs, which other commands must not pay for at start.
        const { SELF_CRITICAL_DIR } = await import('@captioner/training');
        createLogger('demo').debug({ seconds }, 'demo finished');
        if (opts.json) {
          printJson({
            runId: plan.runId,
            status: run.status,
            seconds,
            trained: { ...scores, grounding: stored.grounding },
            untrained: { ...untrained.scores.corpus, grounding: untrained.grounding ?? null },
            constantCaption: {
              caption: constant.caption,
              ...constant.scores.corpus,
              grounding: constant.grounding ?? null,
            },
            bestCheckpoint: best ? { id: best.id, step: best.step, path: best.path } : null,
            samples: samples.map((s) => ({
              imageId: s.imageId,
              generated: s.candidate,
              references: jsonColumn<string[]>(s.references, []),
            })),
            database: (await ctx.db()).displayUrl,
            home: ctx.config.home,
          });
          return;
        }
        printLine();
        printLine(
          `Run ${plan.runId}: ${run.status} in ${seconds.toFixed(0)} s (backend ${run.backend ?? '-'})`,
        );
        printLine(`Test split, beam ${plan.evaluation.beamSize}, ${evaluation?.imageCount ?? 0} images:`);
        // The three captioners side by side: grounding says how true the captions are to the image,
        // which BLEU and CIDEr-D do not (see packages/dataset/README.md, "Grounding").
        const rows: Array<[string, { Bleu_4?: number; CIDEr?: number }, Grounding | null | undefined]> = [
          [
            `trained (best checkpoint${best ? `, step ${best.step}${best.path.includes(SELF_CRITICAL_DIR) ? ', self-critical' : ''}` : ''})`,
            scores,
            stored.grounding,
          ],
          ['untrained (initial weights)', untrained.scores.corpus, untrained.grounding],
          [`constant "${constant.caption}"`, constant.scores.corpus, constant.grounding],
        ];
        const withGrounding = rows.some(([, , g]) => g);
        printTable(
          ['  captioner', 'BLEU-4', 'CIDEr-D', ...(withGrounding ? GROUNDING_HEADERS : [])],
          rows.map(([name, s, g]) => [
            `  ${name}`,
            formatScore(s.Bleu_4),
            formatScore(s.CIDEr),
            ...(withGrounding ? (g ? groundingCells(g) : GROUNDING_HEADERS.map(() => '-')) : []),
          ]),
        );
        printLine();
        printLine('Five test images:');
        for (const s of samples) {
          printLine(`  ${s.imageId}`);
          printLine(`    generated: ${s.candidate}`);
          printLine(`    reference: ${jsonColumn<string[]>(s.references, [])[0] ?? ''}`);
        }
        printLine();
        printLine(
          `Recorded in ${(await ctx.db()).displayUrl}; artifacts in ${artifactPaths(ctx.config.home).runDir(plan.runId)}`,
        );
        printLine(`  captioner run show ${plan.runId}`);
        printLine(`  captioner eval show ${plan.evaluation.evaluationId}`);
      }),
    );
}

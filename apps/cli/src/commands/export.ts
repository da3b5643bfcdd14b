import path from 'node:path';
import type { Command } from 'commander';
import { NotFoundError, artifactPaths } from '@captioner/core';
import { findCheckpoint, getRun, readRunConfig } from '@captioner/db';
import { loadVocabulary } from '@captioner/dataset';
import { exportModelBundle, initBackend } from '@captioner/model';
import { runConfigSection } from '@captioner/stage-contract';
import { withContext } from '../context';
import { printJson, printLine } from '../output';

export function registerExportCommand(program: Command): void {
  program
    .command('export <run>')
    .description(
      'export a run as one self-describing model bundle (encoder, decoder, vocabulary, preprocessing)',
    )
    .option('--checkpoint <which>', 'best, last or a checkpoint id', 'best')
    .option('--out <dir>', 'bundle directory (default: the run export directory)')
    .option('--onnx', 'also write encoder.onnx (the encoder for ONNX Runtime / onnxruntime-web)')
    .option('--json', 'print as JSON')
    .action(async (runId: string, opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const run = await getRun(db, runId);
        const checkpoint = await findCheckpoint(db, run.id, opts.checkpoint);
        if (!checkpoint) throw new NotFoundError(`run ${run.id}: no checkpoint matches "${opts.checkpoint}"`);
        const paths = artifactPaths(ctx.config.home);
        const vocabulary = await loadVocabulary(paths.vocabulary(run.id));
        const outDir = path.resolve(opts.out ?? paths.exportDir(run.id));
        // A fine-tuned checkpoint's encoder is rebuilt with tfjs to be saved with its trained weights.
        await initBackend(ctx.config.backend);
        const { manifest } = await exportModelBundle({
          outDir,
          encoderDir: paths.encoderDir(run.id),
          checkpointDir: checkpoint.path,
          onnx: Boolean(opts.onnx),
          extras: {
            vocabulary: vocabulary.toJSON(),
            preprocessing: runConfigSection(readRunConfig(run), 'preprocess'),
          },
        });
        if (opts.json)
          printJson({ dir: outDir, checkpoint: checkpoint.id, files: Object.keys(manifest.files).length });
        else
          printLine(
            `exported run ${run.id} (checkpoint ${checkpoint.id}, step ${checkpoint.step}) to ${outDir}`,
          );
      }),
    );
}

import type { Command } from 'commander';
import { UsageError, artifactPaths } from '@captioner/core';
import { findCheckpoint, getRun, readRunConfig } from '@captioner/db';
import { Vocabulary, loadVocabulary, normalizeImages } from '@captioner/dataset';
import { initBackend, loadCaptionModel, loadFineTunedEncoder, loadModelBundle } from '@captioner/model';
import type { CaptionModel, ImageEncoder } from '@captioner/model';
import { parsePreprocessSettings, prepareImage } from '@captioner/preprocessing';
import type { PreprocessSettings } from '@captioner/preprocessing';
import { runConfigSection } from '@captioner/stage-contract';
import { withContext } from '../context';
import { printJson, printLine } from '../output';
import { positiveIntOption } from '../options';
import { NotFoundError } from '@captioner/core';

interface Captioner {
  encoder: ImageEncoder;
  model: CaptionModel;
  decodeWords: (ids: number[]) => string;
  preprocess: PreprocessSettings;
}

export function registerCaptionCommand(program: Command): void {
  program
    .command('caption <images...>')
    .description('caption image files with a run (its best checkpoint) or an exported model bundle')
    .option('--run <id>', 'a trained run')
    .option('--checkpoint <which>', 'with --run: best, last or a checkpoint id', 'best')
    .option('--model <dir>', 'an exported model bundle (captioner export)')
    .option('--beam <k>', 'beam size (1 = greedy)', positiveIntOption, 3)
    .option('--json', 'print as JSON')
    .action(async (images: string[], opts) =>
      withContext(async (ctx) => {
        if (Boolean(opts.run) === Boolean(opts.model))
          throw new UsageError('give exactly one of --run ID or --model DIR');
        await initBackend(ctx.config.backend);
        let captioner: Captioner;
        if (opts.run) {
          const db = (await ctx.db()).client;
          const run = await getRun(db, opts.run);
          const checkpoint = await findCheckpoint(db, run.id, opts.checkpoint);
          if (!checkpoint)
            throw new NotFoundError(`run ${run.id}: no checkpoint matches "${opts.checkpoint}"`);
          const paths = artifactPaths(ctx.config.home);
          const vocabulary = await loadVocabulary(paths.vocabulary(run.id));
          captioner = {
            // The run's encoder, with the checkpoint's fine-tuned weights when it has any.
            encoder: await loadFineTunedEncoder(paths.encoderDir(run.id), checkpoint.path),
            model: await loadCaptionModel(checkpoint.path),
            decodeWords: (ids) => vocabulary.decode(ids),
            preprocess: runConfigSection(readRunConfig(run), 'preprocess'),
          };
        } else {
          captioner = await loadBundleCaptioner(opts.model);
        }
        const results = [];
        try {
          for (const image of images) {
            const pixels = await prepareImage(image, captioner.preprocess);
            const features = await captioner.encoder.encode(
              normalizeImages(pixels, captioner.preprocess.mean, captioner.preprocess.std),
              1,
            );
            const attention = captioner.model.config.decoder.attention;
            const [tokens] = await captioner.model.decode(
              { pooled: features.pooled, grid: attention ? features.grid : undefined, count: 1 },
              { beamSize: opts.beam },
            );
            results.push({ image, caption: captioner.decodeWords(tokens) });
          }
        } finally {
          captioner.model.dispose();
          captioner.encoder.dispose();
        }
        if (opts.json) printJson(results);
        else for (const r of results) printLine(`${r.image}: ${r.caption}`);
      }),
    );
}

async function loadBundleCaptioner(dir: string): Promise<Captioner> {
  const bundle = await loadModelBundle(dir);
  const vocabulary = Vocabulary.fromJSON(bundle.vocabulary);
  return {
    encoder: bundle.encoder,
    model: bundle.captioner,
    decodeWords: (ids) => vocabulary.decode(ids),
    preprocess: parsePreprocessSettings(bundle.preprocessing),
  };
}

import type { Command } from 'commander';
import { UsageError, artifactPaths } from '@captioner/core';
import { findCheckpoint, getRun, readRunConfig } from '@captioner/db';
import { Vocabulary, loadVocabulary, normalizeImages } from '@captioner/dataset';
import {
  inferenceEncoder,
  initBackend,
  loadCaptionModel,
  loadFineTunedEncoder,
  loadModelBundle,
  releaseInferenceSessions,
} from '@captioner/model';
import type { CaptionModel, ImageEncoder } from '@captioner/model';
import { parsePreprocessSettings, prepareImage } from '@captioner/preprocessing';
import type { PreprocessSettings } from '@captioner/preprocessing';
import { decodingSettingsOf, decodingSettingsSchema, runConfigSection } from '@captioner/stage-contract';
import type { DecodingSettings } from '@captioner/stage-contract';
import { withContext } from '../context';
import { printJson, printLine } from '../output';
import { decodingOptions, withDecodingOptions, positiveIntOption } from '../options';
import { NotFoundError } from '@captioner/core';

interface Captioner {
  encoder: ImageEncoder;
  /** Identifies the encoder's weights: the key of its ONNX Runtime session. */
  encoderKey: string;
  model: CaptionModel;
  decodeWords: (ids: number[]) => string;
  preprocess: PreprocessSettings;
  /** The run's (evaluation section) or the bundle's decoding settings: the defaults of the flags. */
  decoding: DecodingSettings;
}

export function registerCaptionCommand(program: Command): void {
  withDecodingOptions(
    program
      .command('caption <images...>')
      .description('caption image files with a run (its best checkpoint) or an exported model bundle')
      .option('--run <id>', 'a trained run')
      .option('--checkpoint <which>', 'with --run: best, last or a checkpoint id', 'best')
      .option('--model <dir>', 'an exported model bundle (captioner export)')
      .option(
        '--beam <k>',
        "beam size (1 = greedy; default: the run's or bundle's, else 3)",
        positiveIntOption,
      ),
  )
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
          const runConfig = readRunConfig(run);
          captioner = {
            // The run's encoder, with the checkpoint's fine-tuned weights when it has any.
            encoder: await loadFineTunedEncoder(paths.encoderDir(run.id), checkpoint.path),
            encoderKey: `${paths.encoderDir(run.id)}#${checkpoint.path}`,
            model: await loadCaptionModel(checkpoint.path),
            decodeWords: (ids) => vocabulary.decode(ids),
            preprocess: runConfigSection(runConfig, 'preprocess'),
            decoding: decodingSettingsOf(runConfigSection(runConfig, 'evaluation')),
          };
        } else {
          captioner = await loadBundleCaptioner(opts.model);
        }
        // Flags given win over the run's or the bundle's settings.
        const decoding = {
          ...captioner.decoding,
          ...(opts.beam === undefined ? {} : { beamSize: opts.beam as number }),
          ...decodingOptions(opts),
        };
        const results = [];
        let engine = 'tfjs';
        try {
          // The extract stage's engine choice: ONNX Runtime when it loads (CAPTIONER_INFERENCE), else tfjs.
          const inference = await inferenceEncoder(captioner.encoder, captioner.encoderKey, {
            onWarning: (message) => process.stderr.write(`captioner: warning: ${message}\n`),
          });
          engine = inference.engine;
          for (const image of images) {
            const pixels = await prepareImage(image, captioner.preprocess);
            const features = await inference.encoder.encode(
              normalizeImages(pixels, captioner.preprocess.mean, captioner.preprocess.std),
              1,
            );
            const attention = captioner.model.config.decoder.attention;
            const [tokens] = await captioner.model.decode(
              { pooled: features.pooled, grid: attention ? features.grid : undefined, count: 1 },
              decoding,
            );
            results.push({ image, caption: captioner.decodeWords(tokens), engine });
          }
        } finally {
          captioner.model.dispose();
          captioner.encoder.dispose();
          await releaseInferenceSessions();
        }
        if (opts.json) printJson(results);
        else {
          process.stderr.write(`encoder engine: ${engine}\n`);
          for (const r of results) printLine(`${r.image}: ${r.caption}`);
        }
      }),
    );
}

async function loadBundleCaptioner(dir: string): Promise<Captioner> {
  const bundle = await loadModelBundle(dir);
  const vocabulary = Vocabulary.fromJSON(bundle.vocabulary);
  return {
    encoder: bundle.encoder,
    encoderKey: dir,
    model: bundle.captioner,
    decodeWords: (ids) => vocabulary.decode(ids),
    preprocess: parsePreprocessSettings(bundle.preprocessing),
    // Bundles written before decoding settings were recorded decode with the defaults.
    decoding: bundle.manifest.decoding ?? decodingSettingsSchema.parse({}),
  };
}

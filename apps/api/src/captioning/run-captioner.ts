import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, artifactPaths } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { findCheckpoint, getRun, readRunConfig } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { decodingSettingsOf, decodingSettingsSchema, runConfigSection } from '@captioner/stage-contract';
import type { DecodingSettings, PreprocessSettings } from '@captioner/stage-contract';
// Types only: the modules themselves are imported on first use (see RunCaptioner).
import type { CaptionModel, ImageEncoder } from '@captioner/model';

/** One caption with, for a model with attention, a map over the image per word. */
export interface CaptionResult {
  caption: string;
  words: string[];
  /** Per word, weights over the grid (row-major, `gridSide`²); null for a model without attention. */
  attention: number[][] | null;
  gridSide: number | null;
  /**
   * The side of the square the model saw, as a fraction of the image's shorter side (centre crop after
   * resizing the shorter side to `resizeShorterTo`): the client lays the grid over that square only.
   */
  crop: number;
  runId: string;
  checkpointId: string;
  /** The decoding used: the run's evaluation settings (or the evaluation's, for a gallery sample). */
  decoding: DecodingSettings;
}

interface Loaded {
  key: string;
  runId: string;
  checkpointId: string;
  preprocess: PreprocessSettings;
  decoding: DecodingSettings;
  words: (ids: number[]) => string[];
  encoder: ImageEncoder;
  model: CaptionModel;
}

/**
 * Captions images with a run's checkpoint inside the API process. The model packages (tfjs) are imported on
 * first use, so an API that never captions starts as fast as before. One model stays loaded (the last one
 * asked for): a dashboard looks at one run at a time, and every model held costs memory.
 * Calls are serialised: decoding is CPU-bound and synchronous between awaits, and two at once would only
 * share the cores and both be slow.
 */
export class RunCaptioner {
  private loaded: Loaded | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: CaptionerConfig,
    private readonly db: DbClient,
  ) {}

  /**
   * Captions image bytes (checked by content, see prepareImageBytes) with `checkpoint` of run `runId`:
   * `best`, `last`, a checkpoint id, or `bundle` for the run's exported bundle in its export directory
   * (`captioner export RUN` without `--out`; the directory comes from the run id, never from a request).
   */
  caption(
    runId: string,
    checkpoint: string,
    bytes: Buffer,
    name: string,
    decoding?: Partial<DecodingSettings>,
  ): Promise<CaptionResult> {
    const job = this.queue.then(() => this.captionNow(runId, checkpoint, bytes, name, decoding));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async captionNow(
    runId: string,
    checkpoint: string,
    bytes: Buffer,
    name: string,
    decoding: Partial<DecodingSettings> = {},
  ): Promise<CaptionResult> {
    const { normalizeImages } = await import('@captioner/dataset');
    const { prepareImageBytes } = await import('@captioner/preprocessing');
    const loaded = await this.load(runId, checkpoint);
    // Before any model work: a body that is not an image is refused by content, naming the upload.
    const pixels = await prepareImageBytes(bytes, name, loaded.preprocess);
    const features = await loaded.encoder.encode(
      normalizeImages(pixels, loaded.preprocess.mean, loaded.preprocess.std),
      1,
    );
    const attention = loaded.model.config.decoder.attention;
    const settings = { ...loaded.decoding, ...decoding };
    const [beams] = await loaded.model.decodeBeams(
      { pooled: features.pooled, grid: attention ? features.grid : undefined, count: 1 },
      { ...settings, attention: true },
    );
    const best = beams[0];
    const words = loaded.words(best.tokens);
    const positions = loaded.model.featureShape.gridPositions;
    return {
      caption: words.join(' '),
      words,
      attention: best.attention ?? null,
      gridSide: best.attention ? Math.round(Math.sqrt(positions)) : null,
      crop: Math.min(1, loaded.preprocess.imageSize / loaded.preprocess.resizeShorterTo),
      runId: loaded.runId,
      checkpointId: loaded.checkpointId,
      decoding: settings,
    };
  }

  private async load(runId: string, selector: string): Promise<Loaded> {
    const run = await getRun(this.db, runId);
    if (selector === 'bundle') return this.loadBundle(run.id);
    const checkpoint = await findCheckpoint(this.db, run.id, selector);
    if (!checkpoint) throw new NotFoundError(`run ${run.id}: no checkpoint on disk matches "${selector}"`);
    const key = `${run.id}/${checkpoint.id}`;
    if (this.loaded?.key === key) return this.loaded;
    this.dispose();
    const model = await import('@captioner/model');
    const { loadVocabulary } = await import('@captioner/dataset');
    await model.initBackend(this.config.backend);
    const paths = artifactPaths(this.config.home);
    const vocabulary = await loadVocabulary(paths.vocabulary(run.id));
    const runConfig = readRunConfig(run);
    this.loaded = {
      key,
      runId: run.id,
      checkpointId: checkpoint.id,
      preprocess: runConfigSection(runConfig, 'preprocess'),
      decoding: decodingSettingsOf(runConfigSection(runConfig, 'evaluation')),
      words: (ids) => ids.map((id) => vocabulary.decode([id])),
      // The run's encoder, with the checkpoint's fine-tuned weights when it has any (as `captioner caption`).
      encoder: await model.loadFineTunedEncoder(paths.encoderDir(run.id), checkpoint.path),
      model: await model.loadCaptionModel(checkpoint.path),
    };
    return this.loaded;
  }

  private async loadBundle(runId: string): Promise<Loaded> {
    const model = await import('@captioner/model');
    const dir = artifactPaths(this.config.home).exportDir(runId);
    let stamp: number;
    try {
      stamp = (await fs.stat(path.join(dir, model.BUNDLE_FILE))).mtimeMs;
    } catch {
      throw new NotFoundError(`run ${runId}: no exported bundle (captioner export ${runId})`);
    }
    // Keyed by the manifest's time too: exporting again replaces the loaded bundle.
    const key = `${runId}/bundle/${stamp}`;
    if (this.loaded?.key === key) return this.loaded;
    this.dispose();
    const { Vocabulary } = await import('@captioner/dataset');
    const { parsePreprocessSettings } = await import('@captioner/preprocessing');
    await model.initBackend(this.config.backend);
    const bundle = await model.loadModelBundle(dir);
    const vocabulary = Vocabulary.fromJSON(bundle.vocabulary);
    this.loaded = {
      key,
      runId,
      checkpointId: 'bundle',
      preprocess: parsePreprocessSettings(bundle.preprocessing),
      // Bundles written before decoding settings were recorded decode with the defaults (as `caption --model`).
      decoding: bundle.manifest.decoding ?? decodingSettingsSchema.parse({}),
      words: (ids) => ids.map((id) => vocabulary.decode([id])),
      encoder: bundle.encoder,
      model: bundle.captioner,
    };
    return this.loaded;
  }

  dispose(): void {
    this.loaded?.model.dispose();
    this.loaded?.encoder.dispose();
    this.loaded = undefined;
  }
}

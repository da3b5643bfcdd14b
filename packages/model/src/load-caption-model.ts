import { CaptionModel, decoderFromArrays } from './caption-model';
import { readCheckpointDir } from './checkpoint/checkpoint-dir';
import type { DecoderSpec } from './decoder/params';

/** Loads a checkpoint directory written by training (or the decoder part of a bundle) for captioning. */
export async function loadCaptionModel(checkpointDir: string): Promise<CaptionModel> {
  const { meta, tensors } = await readCheckpointDir(checkpointDir);
  const spec: DecoderSpec = {
    decoder: meta.modelConfig.decoder,
    featureShape: meta.featureShape,
    vocabSize: meta.vocabSize,
  };
  const { params, norm } = decoderFromArrays(spec, tensors);
  return new CaptionModel(meta.modelConfig, meta.featureShape, meta.vocabSize, params, norm);
}

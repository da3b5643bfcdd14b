import { ConfigError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig, runConfigSection } from './run-config';

describe('resolveRunConfig', () => {
  it('fills every default from the section schemas', () => {
    const config = resolveRunConfig({});
    expect(config).toMatchObject({
      seed: 1,
      shardSize: 256,
      vocabulary: { minCount: 5, maxLength: 16 },
      evaluation: { split: 'test', beamSize: 3 },
      training: { epochs: 3, batchSize: 32, seed: 42 },
      model: { encoder: { kind: 'small-resnet', imageSize: 64 }, decoder: { cell: 'lstm' } },
    });
    // preprocess.imageSize follows the encoder's; resizeShorterTo follows imageSize.
    expect(config.preprocess).toMatchObject({ imageSize: 64, resizeShorterTo: 73 });
    expect(Object.keys(config).sort()).toEqual(
      ['evaluation', 'model', 'preprocess', 'seed', 'shardSize', 'training', 'vocabulary'].sort(),
    );
  });

  it('is stable: the stored config resolves to itself', () => {
    const config = resolveRunConfig({ model: { encoder: { imageSize: 32 } }, training: { epochs: 2 } });
    expect(resolveRunConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it.each([
    [{ epocs: 2 }, 'run config: epocs: unknown key'],
    [{ training: { epocs: 2 } }, 'run config: training.epocs: unknown key'],
    [{ training: { lrDecay: { factr: 0.5 } } }, 'run config: training.lrDecay.factr: unknown key'],
    [
      { training: { validation: { metric: 'CIDEr', beam: 2 } } },
      'run config: training.validation.beam: unknown key',
    ],
    [{ model: { decoder: { hidden: 8 } } }, 'run config: model.decoder.hidden: unknown key'],
    [{ model: { encoder: { kind: 'resnet18' }, head: 1 } }, 'run config: model.head: unknown key'],
    [{ preprocess: { imagesize: 64 } }, 'run config: preprocess.imagesize: unknown key'],
    [{ preprocess: { augment: { flip: true } } }, 'run config: preprocess.augment.flip: unknown key'],
    [{ vocabulary: { mincount: 1 } }, 'run config: vocabulary.mincount: unknown key'],
    [{ evaluation: { beam: 2 } }, 'run config: evaluation.beam: unknown key'],
    [{ a: 1, b: 2 }, 'run config: a, b: unknown keys'],
  ])('refuses an unknown key by name: %j', (input, message) => {
    expect(() => resolveRunConfig(input)).toThrow(ConfigError);
    expect(() => resolveRunConfig(input)).toThrow(message);
  });

  it('refuses a bad value naming the field', () => {
    expect(() => resolveRunConfig({ training: { epochs: 'abc' } })).toThrow(
      /^run config: training\.epochs: /,
    );
    expect(() => resolveRunConfig({ preprocess: { resizeShorterTo: 10 } })).toThrow(
      /^run config: preprocess\.resizeShorterTo: /,
    );
    expect(() => resolveRunConfig({ preprocess: { imageSize: 32 } })).toThrow(
      'run config: preprocess.imageSize (32) differs from model.encoder.imageSize (64)',
    );
    expect(() => resolveRunConfig({ preprocess: 'big' })).toThrow(/^run config: preprocess: /);
    expect(() => resolveRunConfig({ training: { batchSize: 'big' } })).toThrow(
      /^run config: training\.batchSize: /,
    );
    expect(() => resolveRunConfig({ training: { memoryBudgetMB: 0 } })).toThrow(
      /^run config: training\.memoryBudgetMB: /,
    );
  });

  it("takes batchSize 'auto' with a memory budget, and the recorded choice back", () => {
    const config = resolveRunConfig({ training: { batchSize: 'auto', memoryBudgetMB: 512 } });
    expect(config.training).toMatchObject({ batchSize: 'auto', memoryBudgetMB: 512 });
    expect(config.training.autoBatch).toBeUndefined();
    const recorded = {
      ...config,
      training: {
        ...config.training,
        autoBatch: { batchSize: 96, peakMB: 501, budgetMB: 512, backend: 'wasm' },
      },
    };
    expect(runConfigSection(JSON.parse(JSON.stringify(recorded)), 'training').autoBatch).toEqual({
      batchSize: 96,
      peakMB: 501,
      budgetMB: 512,
      backend: 'wasm',
    });
  });
});

describe('runConfigSection', () => {
  it('reads a section of the stored config as it was resolved, adding nothing', () => {
    const stored: unknown = JSON.parse(
      JSON.stringify(resolveRunConfig({ seed: 7, shardSize: 24, vocabulary: { minCount: 1 } })),
    );
    const resolved = stored as Record<string, unknown>;
    expect(runConfigSection(stored, 'seed')).toBe(7);
    expect(runConfigSection(stored, 'shardSize')).toBe(24);
    for (const key of ['preprocess', 'vocabulary', 'model', 'training', 'evaluation'] as const)
      expect(runConfigSection(stored, key)).toEqual(resolved[key]);
  });

  it('names the section of a stored config that does not parse', () => {
    expect(() => runConfigSection({ training: { epochs: 0 } }, 'training')).toThrow(
      /^stored run config: training\.epochs: /,
    );
  });
});

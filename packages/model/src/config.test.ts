import { describe, expect, it } from 'vitest';
import { modelConfigSchema } from './config';

describe('modelConfigSchema', () => {
  it('fills in the demo defaults from an empty object', () => {
    const config = modelConfigSchema.parse({});
    expect(config.encoder).toMatchObject({ kind: 'small-resnet', imageSize: 64, trainable: false });
    expect(config.decoder).toMatchObject({
      cell: 'lstm',
      attention: true,
      hiddenSize: 256,
      embeddingSize: 128,
    });
  });

  it('keeps given fields and defaults the rest; rejects nonsense', () => {
    const config = modelConfigSchema.parse({
      decoder: { cell: 'gru' },
      encoder: { kind: 'resnet50', imageSize: 224 },
    });
    expect(config.decoder.cell).toBe('gru');
    expect(config.decoder.hiddenSize).toBe(256);
    expect(config.encoder.trainableBlocks).toBe(1);
    expect(modelConfigSchema.safeParse({ decoder: { cell: 'rnn' } }).success).toBe(false);
    expect(modelConfigSchema.safeParse({ encoder: { imageSize: 3 } }).success).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core/errors';
import { encoderConfigSchema } from '../config';
import { architectureOf } from './architectures';

describe('architectureOf', () => {
  it("scales small-resnet's filters by width, doubling per stage", () => {
    expect(architectureOf(encoderConfigSchema.parse({})).filters).toEqual([32, 64, 128]);
    expect(architectureOf(encoderConfigSchema.parse({ width: 16 })).filters).toEqual([16, 32, 64]);
  });

  it('keeps the ImageNet ResNets at their own widths and refuses another', () => {
    expect(architectureOf(encoderConfigSchema.parse({ kind: 'resnet18' })).filters).toEqual([
      64, 128, 256, 512,
    ]);
    expect(() => architectureOf(encoderConfigSchema.parse({ kind: 'resnet18', width: 16 }))).toThrow(
      InvalidInputError,
    );
    expect(() => architectureOf(encoderConfigSchema.parse({ kind: 'resnet18', width: 16 }))).toThrow(
      /model\.encoder\.width/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { describeAugmentation } from './augment-summary';

describe('describeAugmentation', () => {
  it('says off for configs without augmentation, old ones included', () => {
    expect(describeAugmentation(null)).toBe('off');
    expect(describeAugmentation({ preprocess: { augment: { horizontalFlip: false, colorJitter: 0 } } })).toBe(
      'off',
    );
  });

  it('names the transforms and where they apply: per batch when fine-tuning, as views with a frozen encoder', () => {
    const augment = { horizontalFlip: true, colorJitter: 0.3, cropScale: 0.6, views: 4 };
    expect(describeAugmentation({ preprocess: { augment }, model: { encoder: { trainable: true } } })).toBe(
      'per batch (fine-tuning): horizontal flip (captions mirrored), colour jitter 0.3, crop 0.6-1 of the side',
    );
    expect(describeAugmentation({ preprocess: { augment } })).toMatch(/^4 feature views per training image/);
    expect(describeAugmentation({ preprocess: { augment: { ...augment, views: 1 } } })).toMatch(
      /^off \(frozen encoder/,
    );
  });
});

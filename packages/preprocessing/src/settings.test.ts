import { ConfigError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESS_SETTINGS, parsePreprocessSettings } from './settings';

describe('preprocess settings', () => {
  it('defaults to 224 px, shorter side 256, ImageNet statistics, no augmentation', () => {
    expect(DEFAULT_PREPROCESS_SETTINGS).toEqual({
      imageSize: 224,
      resizeShorterTo: 256,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      augment: { horizontalFlip: false, colorJitter: 0, cropScale: 1, views: 1 },
      resizeKernel: 'lanczos3',
      maxInputPixels: 50_000_000,
      maxFileBytes: 50 * 1024 * 1024,
    });
  });

  it('derives resizeShorterTo from imageSize unless given, and parses its own output unchanged', () => {
    expect(parsePreprocessSettings({ imageSize: 112 }).resizeShorterTo).toBe(128);
    expect(parsePreprocessSettings({ imageSize: 299 }).resizeShorterTo).toBe(342);
    expect(parsePreprocessSettings({ imageSize: 224, resizeShorterTo: 224 }).resizeShorterTo).toBe(224);
    const parsed = parsePreprocessSettings({ imageSize: 64, augment: { horizontalFlip: true } });
    expect(parsePreprocessSettings(parsed)).toEqual(parsed);
  });

  it('refuses bad values with a ConfigError naming the field', () => {
    expect(() => parsePreprocessSettings({ imageSize: 224, resizeShorterTo: 200 })).toThrow(
      /resizeShorterTo/,
    );
    expect(() => parsePreprocessSettings({ augment: { colorJitter: 2 } })).toThrow(ConfigError);
    expect(() => parsePreprocessSettings({ std: [0.2, 0, 0.2] })).toThrow(/std/);
  });
});

import { describe, expect, it } from 'vitest';
import { cropGeometry } from './crop-geometry';

describe('cropGeometry', () => {
  it('matches torchvision Resize(256) + CenterCrop(224) on a 500x375 landscape image', () => {
    // torchvision: short 375 -> 256, long int(256 * 500 / 375) = 341; crop offsets (341-224)/2, (256-224)/2.
    expect(cropGeometry(500, 375, 256, 224)).toEqual({
      resizedWidth: 341,
      resizedHeight: 256,
      left: 58,
      top: 16,
      size: 224,
    });
  });

  it('handles portrait, square, small and extreme images', () => {
    expect(cropGeometry(375, 500, 256, 224)).toEqual({
      resizedWidth: 256,
      resizedHeight: 341,
      left: 16,
      top: 58,
      size: 224,
    });
    expect(cropGeometry(100, 100, 256, 224)).toEqual({
      resizedWidth: 256,
      resizedHeight: 256,
      left: 16,
      top: 16,
      size: 224,
    });
    expect(cropGeometry(20000, 10, 256, 224)).toMatchObject({
      resizedWidth: 512000,
      resizedHeight: 256,
      top: 16,
    });
    expect(cropGeometry(3, 2, 224, 224)).toEqual({
      resizedWidth: 336,
      resizedHeight: 224,
      left: 56,
      top: 0,
      size: 224,
    });
  });

  it("rounds an odd margin's half to even, as torchvision's center_crop does (Python's round)", () => {
    // 500x373: long int(256 * 500 / 373) = 343, margin 119, round(59.5) = 60; 500x375: 341, round(58.5) = 58.
    expect(cropGeometry(500, 373, 256, 224)).toMatchObject({ resizedWidth: 343, left: 60, top: 16 });
    expect(cropGeometry(500, 375, 256, 224)).toMatchObject({ resizedWidth: 341, left: 58 });
    expect(cropGeometry(373, 500, 256, 224)).toMatchObject({ resizedHeight: 343, top: 60, left: 16 });
    expect(cropGeometry(227, 230, 224, 224)).toMatchObject({ resizedHeight: 226, top: 1 });
  });
});

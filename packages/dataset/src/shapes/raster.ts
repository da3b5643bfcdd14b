import { SHAPE_COLORS } from './scene';
import type { Shape } from './scene';

/** Light grey: every shape colour stands out against it, yellow included. */
const BACKGROUND = [240, 240, 240] as const;

/**
 * Rasterizes shapes into a raw RGB buffer (HWC). Pixel-centre tests, no anti-aliasing: the bytes depend
 * only on integer inputs, so the PNG is identical on every machine.
 */
export function rasterize(shapes: readonly Shape[], size: number): Buffer {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) pixels.set(BACKGROUND, i * 3);
  for (const shape of shapes) {
    const rgb = SHAPE_COLORS[shape.color];
    const r = shape.radius;
    for (let y = Math.max(0, shape.cy - r - 1); y <= Math.min(size - 1, shape.cy + r + 1); y++) {
      for (let x = Math.max(0, shape.cx - r - 1); x <= Math.min(size - 1, shape.cx + r + 1); x++) {
        if (covers(shape, x + 0.5 - shape.cx, y + 0.5 - shape.cy)) pixels.set(rgb, (y * size + x) * 3);
      }
    }
  }
  return pixels;
}

/** Whether the pixel centre at offset (dx, dy) from the shape's centre is inside the shape. */
function covers(shape: Shape, dx: number, dy: number): boolean {
  const r = shape.radius;
  switch (shape.kind) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square': {
      // Side 1.7 r: about the same area as the circle, so size reads the same for every kind.
      const half = 0.85 * r;
      return Math.abs(dx) <= half && Math.abs(dy) <= half;
    }
    case 'triangle': {
      // Apex up at -r, flat base at +0.8 r; half-width grows linearly from the apex to r at the base.
      if (dy < -r || dy > 0.8 * r) return false;
      const halfWidth = (r * (dy + r)) / (1.8 * r);
      return Math.abs(dx) <= halfWidth;
    }
  }
}

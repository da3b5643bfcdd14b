import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVocabulary, groundCaption, normalizeImages, synthesizeShapes } from '@captioner/dataset';
import type { ManifestItem, Scene } from '@captioner/dataset';
import { initBackend } from '@captioner/model';
import { AUGMENT_OFF } from '@captioner/stage-contract';
import { augmentImages } from '@captioner/feature-extraction';
import { planBatchAugment } from './batch-plan';
import { tokenSideSwap } from '@captioner/feature-extraction';
import { vocabularyWords } from './run-augment';

const SIZE = 96;
const GRID = 3;
const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];
let root: string;

beforeAll(async () => {
  await initBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-shapes-flip-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** The most frequent non-background colour of each grid cell (null when the cell is empty). */
function cellColours(rgb: Uint8Array): Array<string | null> {
  const cell = SIZE / GRID;
  const out: Array<string | null> = [];
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      const counts = new Map<string, number>();
      for (let y = Math.floor(r * cell); y < Math.floor((r + 1) * cell); y++) {
        for (let x = Math.floor(c * cell); x < Math.floor((c + 1) * cell); x++) {
          const p = (y * SIZE + x) * 3;
          const key = `${rgb[p]},${rgb[p + 1]},${rgb[p + 2]}`;
          if (key !== '240,240,240') counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
      out.push(best && best[1] > 4 ? best[0] : null);
    }
  }
  return out;
}

/**
 * The scene the pixels show: each object of the synthesizer's scene is found again by its colour (read
 * from its own cell in the original image) in its row; images where that is ambiguous are skipped.
 */
function sceneFromPixels(scene: Scene, original: Uint8Array, shown: Uint8Array): Scene | null {
  const before = cellColours(original);
  const after = cellColours(shown);
  const objects = [];
  for (const object of scene.objects) {
    const colour = before[object.row * GRID + object.col];
    const cols = [0, 1, 2].filter((c) => after[object.row * GRID + c] === colour);
    if (colour === null || cols.length !== 1) return null;
    objects.push({ ...object, col: cols[0] });
  }
  return { objects };
}

const sideRelation = (caption: string) => / (left|right) of /.test(caption);

describe('caption-aware flips on shapes images', () => {
  it('a flipped image with its mirrored caption is true per the grounding checker (the unmirrored one is not)', async () => {
    const { manifest } = await synthesizeShapes({ outDir: root, images: 60, seed: 11, imageSize: SIZE });
    const vocabulary = buildVocabulary(manifest);
    const items = manifest.items
      .map((item) => ({ item, caption: item.captions.find(sideRelation) }))
      .filter((x): x is { item: ManifestItem; caption: string } => x.caption !== undefined)
      .slice(0, 16);
    expect(items.length).toBeGreaterThanOrEqual(8);

    const pixels: Uint8Array[] = [];
    for (const { item } of items) {
      const file = path.join(root, 'images', item.file);
      pixels.push(new Uint8Array(await sharp(file).removeAlpha().raw().toBuffer()));
    }
    const encoded = vocabulary.encodeBatch(items.map((x) => x.caption));
    const settings = { ...AUGMENT_OFF, horizontalFlip: true };
    const augment = { settings, mean, std, mirrorCaption: tokenSideSwap(vocabularyWords(vocabulary)) };
    const draws = planBatchAugment(augment, encoded.ids, encoded.length, 3, 0, 0);
    const flipped = draws.map((d) => d.flip);
    expect(flipped.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(flipped.filter((f) => !f).length).toBeGreaterThanOrEqual(1);

    const batch = tf.tensor4d(normalizeImages(concat(pixels), mean, std), [items.length, SIZE, SIZE, 3]);
    const out = augmentImages(batch, draws, augment);
    // Back to bytes: a flip moves pixels without resampling, so the colours come back exactly.
    const shown = tf.tidy(() =>
      tf.round(tf.mul(tf.add(tf.mul(out, tf.tensor1d(std)), tf.tensor1d(mean)), 255)).dataSync(),
    );
    tf.dispose([batch, out]);

    let checked = 0;
    items.forEach(({ item, caption }, b) => {
      const image = Uint8Array.from(shown.subarray(b * SIZE * SIZE * 3, (b + 1) * SIZE * SIZE * 3));
      const scene = sceneFromPixels(item.scene!, pixels[b], image);
      if (!scene) return;
      const trained = vocabulary.decode(encoded.ids.subarray(b * encoded.length, (b + 1) * encoded.length));
      const grounded = groundCaption(trained, scene);
      expect(grounded.relationsStated, trained).toBeGreaterThan(0);
      expect(grounded.relationsRight, `${item.id} flipped=${flipped[b]}: ${trained}`).toBe(
        grounded.relationsStated,
      );
      if (flipped[b]) {
        expect(trained).not.toBe(caption.toLowerCase());
        // The caption as written is false of the flipped image: the check can fail.
        const unmirrored = groundCaption(caption, scene);
        expect(unmirrored.relationsRight).toBeLessThan(unmirrored.relationsStated);
      }
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});

function concat(arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

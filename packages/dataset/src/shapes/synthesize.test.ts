import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readManifest, imagePath, splitItems } from '../manifest';
import { SHAPE_COLORS } from './scene';
import { synthesizeShapes } from './synthesize';
import { groundCaption } from './grounding';

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shapes-'));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), await fs.readFile(full));
  }
  return out;
}

describe('synthesizeShapes', () => {
  it('gives byte-identical files for the same seed, in different directories', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await synthesizeShapes({ outDir: a, images: 30, seed: 11 });
    await synthesizeShapes({ outDir: b, images: 30, seed: 11 });
    const [filesA, filesB] = [await filesOf(a), await filesOf(b)];
    expect(filesA.size).toBe(31);
    expect([...filesA.keys()].sort()).toEqual([...filesB.keys()].sort());
    for (const [name, bytes] of filesA) expect(bytes.equals(filesB.get(name)!), name).toBe(true);
    expect(filesA.get('manifest.json')!.toString()).not.toContain(a);
  });

  it('gives different images for another seed', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await synthesizeShapes({ outDir: a, images: 5, seed: 1 });
    await synthesizeShapes({ outDir: b, images: 5, seed: 2 });
    const [filesA, filesB] = [await filesOf(a), await filesOf(b)];
    expect(filesA.get('manifest.json')!.equals(filesB.get('manifest.json')!)).toBe(false);
  });

  it('writes a readable manifest: 80/10/10 splits, 5 short captions from a small vocabulary', async () => {
    const dir = await tempDir();
    const updates: number[] = [];
    const { manifestFile, manifest } = await synthesizeShapes({
      outDir: dir,
      images: 200,
      seed: 5,
      onProgress: (u) => updates.push(u.fraction),
    });
    expect(updates.at(-1)).toBe(1);
    const read = await readManifest(manifestFile);
    expect(read).toEqual(manifest);
    expect(read.imagesRoot).toBe(path.join(dir, 'images'));
    expect(splitItems(read, 'train')).toHaveLength(160);
    expect(splitItems(read, 'val')).toHaveLength(20);
    expect(splitItems(read, 'test')).toHaveLength(20);
    const words = new Set<string>();
    for (const item of read.items) {
      expect(item.captions).toHaveLength(5);
      expect(new Set(item.captions).size).toBeGreaterThanOrEqual(4);
      for (const caption of item.captions) {
        const tokens = caption.split(' ');
        expect(tokens.length).toBeLessThanOrEqual(12);
        tokens.forEach((t) => words.add(t));
      }
    }
    expect(words.size).toBeGreaterThanOrEqual(20);
    expect(words.size).toBeLessThanOrEqual(30);
    const meta = await sharp(imagePath(read, read.items[0])).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 96, 96]);
  });

  it('names only colours that are in the picture, and every colour that is', async () => {
    const dir = await tempDir();
    const { manifest } = await synthesizeShapes({ outDir: dir, images: 40, seed: 3, imageSize: 48 });
    for (const item of manifest.items) {
      const { data } = await sharp(imagePath(manifest, item)).raw().toBuffer({ resolveWithObject: true });
      const present = new Set<string>();
      for (const [name, rgb] of Object.entries(SHAPE_COLORS)) {
        for (let i = 0; i < data.length; i += 3) {
          if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) {
            present.add(name);
            break;
          }
        }
      }
      const named = new Set(item.captions.flatMap((c) => c.split(' ')).filter((w) => w in SHAPE_COLORS));
      expect([...named].sort(), item.id).toEqual([...present].sort());
    }
  });

  it("records each image's scene, which every one of its captions is true of", async () => {
    const dir = await tempDir();
    const { manifestFile } = await synthesizeShapes({ outDir: dir, images: 30, seed: 4 });
    const read = await readManifest(manifestFile);
    for (const item of read.items) {
      expect(item.scene, item.id).toBeDefined();
      for (const caption of item.captions) {
        const g = groundCaption(caption, item.scene!);
        expect(g.objectsNamed, caption).toBeGreaterThan(0);
        expect([g.objectsRight, g.relationsRight, g.countsRight], caption).toEqual([
          g.objectsNamed,
          g.relationsStated,
          g.countsStated,
        ]);
      }
    }
    const raw = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    raw.items[0].scene.objects[0].color = 'pink';
    await fs.writeFile(manifestFile, JSON.stringify(raw));
    await expect(readManifest(manifestFile)).rejects.toThrow(/items\.0\.scene\.objects\.0\.color/);
  });
});

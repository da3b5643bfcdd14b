import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, writeManifest } from '../manifest';
import { synthesizeShapes } from '../shapes/synthesize';
import { summarize, tempDir } from './fixtures';
import { importDataset } from './import-dataset';

describe('importDataset manifest', () => {
  it('imports a synthesized data set unchanged, and an import written out reads back the same', async () => {
    const root = await tempDir('manifest-');
    const { manifestFile, manifest } = await synthesizeShapes({ outDir: root, images: 12, seed: 4 });
    const { manifest: imported, report } = await importDataset({
      path: root,
      format: 'manifest',
      name: manifest.name,
    });
    expect(report.problems).toEqual([]);
    expect(imported.items).toEqual(manifest.items);
    expect(imported.imagesRoot).toBe(manifest.imagesRoot);
    const copy = path.join(root, 'copy', 'manifest.json');
    await writeManifest(copy, imported);
    expect((await readManifest(copy)).items).toEqual(manifest.items);
    expect(report.splits).toEqual({ train: 10, restval: 0, val: 1, test: 1 });
    expect(manifestFile).toBe(path.join(root, 'manifest.json'));
  });

  it('reports bad items and keeps the others', async () => {
    const root = await tempDir('manifest-');
    const { manifestFile } = await synthesizeShapes({ outDir: root, images: 4, seed: 4 });
    const json = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    json.items[1].split = 'holdout';
    json.items[2].file = '../../secret.png';
    json.items.push({ ...json.items[0] });
    await fs.writeFile(manifestFile, JSON.stringify(json));
    const { manifest, report } = await importDataset({ path: manifestFile, format: 'manifest', name: 'x' });
    expect(manifest.items.map((i) => i.id)).toEqual(['shapes-000000', 'shapes-000003']);
    expect(summarize(report.problems, root)).toEqual([
      'malformed_record manifest.json items[1].split',
      'path_escape manifest.json items[2].file',
      'duplicate_image manifest.json items[4]',
    ]);
  });
});

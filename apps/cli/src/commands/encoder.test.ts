import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeImages } from '@captioner/dataset';
import type { ImageEncoder } from '@captioner/model';
import { parsePreprocessSettings, prepareImage } from '@captioner/preprocessing';
import { runCli, runCliJson } from '../testing/cli';
import { writeRandomResnet18 } from '../testing/encoder-weights';

interface WeightsJson {
  name: string;
  architecture: string;
  format: string;
  path: string;
  sha256: string;
  bytes: number;
  source: string;
  created?: boolean;
}
interface FeaturesJson {
  encoder: string;
  engine: string;
  imageSize: number;
  features: Array<{ image: string; pooled: number[] }>;
}

const SIZE = 64;

/** Largest absolute difference relative to the largest magnitude of the reference. */
function relativeDifference(actual: number[], expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

describe('captioner encoder import | list | features (real files, real SQLite, real process)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let weightsFile: string;
  let reference: ImageEncoder;
  let images: string[];

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-encoder-'));
    env = { CAPTIONER_HOME: home, DATABASE_URL: `file:${path.join(home, 'captioner.db')}` };
    weightsFile = path.join(home, 'r18-random.safetensors');
    reference = await writeRandomResnet18(weightsFile, 11, SIZE);
    // Two different photos-to-be, not square, so that the resize and the crop both happen.
    images = [];
    for (const [i, colour] of [
      [0, { r: 200, g: 30, b: 40 }],
      [1, { r: 20, g: 90, b: 220 }],
    ] as const) {
      const file = path.join(home, `image-${i}.png`);
      const noise = Buffer.alloc(90 * 75 * 3);
      for (let p = 0; p < noise.length; p++) noise[p] = (p * (7 + 13 * i) + colour.r) % 251;
      await sharp(noise, { raw: { width: 90, height: 75, channels: 3 } })
        .png()
        .toFile(file);
      images.push(file);
    }
  }, 120_000);
  afterAll(async () => {
    reference?.dispose();
    await fs.rm(home, { recursive: true, force: true });
  });

  async function referenceFeatures(image: string): Promise<Float32Array> {
    const settings = parsePreprocessSettings({ imageSize: SIZE });
    const pixels = await prepareImage(image, settings);
    return (await reference.encode(normalizeImages(pixels, settings.mean, settings.std), 1)).pooled;
  }

  it('imports a state dict: checked against the architecture, copied into CAPTIONER_HOME, hashed, listed', async () => {
    const imported = await runCliJson<WeightsJson>(
      ['encoder', 'import', weightsFile, '--arch', 'resnet18', '--name', 'r18'],
      env,
    );
    const bytes = await fs.readFile(weightsFile);
    expect(imported).toMatchObject({
      name: 'r18',
      architecture: 'resnet18',
      format: 'safetensors',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      source: weightsFile,
      created: true,
    });
    expect(imported.path).toBe(path.join(home, 'encoders', 'r18', 'weights.safetensors'));
    expect((await fs.readFile(imported.path)).equals(bytes)).toBe(true);

    const again = await runCliJson<WeightsJson>(
      ['encoder', 'import', weightsFile, '--arch', 'resnet18', '--name', 'r18'],
      env,
    );
    expect(again.created).toBe(false);
    const list = await runCliJson<WeightsJson[]>(['encoder', 'list'], env);
    expect(list.map((w) => [w.name, w.architecture, w.sha256])).toEqual([
      ['r18', 'resnet18', imported.sha256],
    ]);
    const table = await runCli(['encoder', 'list'], env);
    expect(table.stdout).toMatch(/^NAME\s+ARCH\s+SHA256/);
    expect(table.stdout).toContain(`r18   resnet18  ${imported.sha256.slice(0, 12)}`);
  }, 120_000);

  it('refuses other weights under a taken name, a state dict of another architecture, and a bad name, each in one line', async () => {
    const other = path.join(home, 'other.safetensors');
    (await writeRandomResnet18(other, 12, SIZE)).dispose();
    const taken = await runCli(['encoder', 'import', other, '--arch', 'resnet18', '--name', 'r18'], env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      /^captioner: error: encoder r18 is already registered with other weights.*--name\n$/,
    );

    const wrongArch = await runCli(['encoder', 'import', other, '--arch', 'resnet34', '--name', 'r34'], env);
    expect(wrongArch.code).toBe(1);
    expect(wrongArch.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(wrongArch.stderr).toMatch(/layer1\.2|layer2\.2|layer3\.|missing/);
    await expect(fs.stat(path.join(home, 'encoders', 'r34'))).rejects.toThrow();

    const badName = await runCli(
      ['encoder', 'import', other, '--arch', 'resnet18', '--name', 'x/y.pth'],
      env,
    );
    expect(badName.code).toBe(2);
    const names = (await runCliJson<WeightsJson[]>(['encoder', 'list'], env)).map((w) => w.name);
    expect(names).toEqual(['r18']);
  }, 120_000);

  it("prints each image's pooled features in order, the same on ONNX Runtime and on tfjs, naming the engine", async () => {
    const expected = [await referenceFeatures(images[0]), await referenceFeatures(images[1])];
    const args = [
      'encoder',
      'features',
      images[0],
      images[1],
      images[0],
      '--encoder',
      'r18',
      '--image-size',
      String(SIZE),
    ];
    const onnx = await runCliJson<FeaturesJson>(args, { ...env, CAPTIONER_INFERENCE: 'onnx' });
    const tfjs = await runCliJson<FeaturesJson>(args, { ...env, CAPTIONER_INFERENCE: 'tfjs' });
    expect(onnx.engine).toBe('onnx (cpu)');
    expect(tfjs.engine).toBe('tfjs');
    for (const result of [onnx, tfjs]) {
      expect(result.features.map((f) => f.image)).toEqual([images[0], images[1], images[0]]);
      expect(result.features.map((f) => f.pooled.length)).toEqual([512, 512, 512]);
      expect(relativeDifference(result.features[0].pooled, expected[0])).toBeLessThan(1e-4);
      expect(relativeDifference(result.features[1].pooled, expected[1])).toBeLessThan(1e-4);
      expect(relativeDifference(result.features[2].pooled, expected[0])).toBeLessThan(1e-4);
      // The two images differ, so a swap or a repeat would be seen.
      expect(relativeDifference(result.features[1].pooled, expected[0])).toBeGreaterThan(1e-2);
    }
    const unknown = await runCli(['encoder', 'features', images[0], '--encoder', 'r81'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no encoder named r81 is registered/);
  }, 180_000);
});

describe('captioner encoder fetch (a local HTTP server in place of download.pytorch.org)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let server: http.Server;
  let baseUrl: string;
  let served: Uint8Array;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-encoder-fetch-'));
    const file = path.join(home, 'small.safetensors');
    (await writeRandomResnet18(file, 3, 32)).dispose();
    served = await fs.readFile(file);
    server = http.createServer((request, response) => {
      if (request.url === '/models/resnet18-f37072fd.pth') {
        response.writeHead(200, { 'content-length': served.length });
        response.end(served);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models`;
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: `file:${path.join(home, 'captioner.db')}`,
      CAPTIONER_TORCHVISION_URL: baseUrl,
    };
  }, 120_000);
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(home, { recursive: true, force: true });
  });

  it('downloads from the official file name and refuses a file whose SHA-256 is not the one its name carries', async () => {
    const result = await runCli(['encoder', 'fetch', 'resnet18'], env);
    expect(result.code).toBe(1);
    // Progress goes to stderr too (a line per quarter off a terminal); the error is the last line.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(
        `^captioner: error: ${baseUrl}/resnet18-f37072fd.pth: SHA-256 [0-9a-f]{16}… does not start with f37072fd`,
      ),
    );
    expect(await runCliJson<unknown[]>(['encoder', 'list'], env)).toEqual([]);
    // Nothing left behind: the refused download is removed.
    expect(await fs.readdir(path.join(home, 'encoders', '.downloads'))).toEqual([]);
  }, 60_000);

  it('without a network fails in one line naming the URL and the import command to use instead', async () => {
    // A port nothing listens on: one the system just handed out and took back.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = { ...env, CAPTIONER_TORCHVISION_URL: `http://127.0.0.1:${port}/models` };
    const result = await runCli(['encoder', 'fetch', 'resnet34'], offline);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `captioner: error: cannot download http://127.0.0.1:${port}/models/resnet34-b627a593.pth (ECONNREFUSED); without a network, download it elsewhere and run: captioner encoder import resnet34-b627a593.pth --arch resnet34 --name resnet34\n`,
    );
    const usage = await runCli(['encoder', 'fetch', 'resnet101'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/architecture must be resnet18, resnet34 or resnet50, got 'resnet101'/);
  }, 60_000);
});

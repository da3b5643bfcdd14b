/**
 * How close sharp's resize + centre crop is to torchvision's `Resize(256)` + `CenterCrop(224)` on PIL
 * images, per sharp kernel: mean absolute difference of the uint8 pixels (0-255).
 * Usage: npx tsx packages/preprocessing/scripts/resize-vs-torchvision.ts IMAGE... (needs Debian's
 * python3-torchvision: `/usr/bin/python3`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { RESIZE_KERNELS } from '@captioner/stage-contract';
import { cropGeometry } from '../src/crop-geometry';

const images = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resize-vs-tv-'));
const env = { ...process.env };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
execFileSync(
  '/usr/bin/python3',
  [
    '-c',
    `import sys, numpy as np
from PIL import Image
from torchvision import transforms
t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
for i, f in enumerate(sys.argv[2:]):
    np.asarray(t(Image.open(f).convert('RGB')), dtype=np.uint8).tofile(f'{sys.argv[1]}/{i}.bin')`,
    dir,
    ...images,
  ],
  { env, stdio: ['ignore', 'inherit', 'inherit'] },
);
for (const kernel of RESIZE_KERNELS) {
  const means: string[] = [];
  for (const [i, file] of images.entries()) {
    const { width, height } = await sharp(file).metadata();
    const g = cropGeometry(width!, height!, 256, 224);
    const ours = await sharp(file)
      .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel })
      .extract({ left: g.left, top: g.top, width: 224, height: 224 })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const reference = fs.readFileSync(path.join(dir, `${i}.bin`));
    let sum = 0;
    for (let k = 0; k < reference.length; k++) sum += Math.abs(ours[k] - reference[k]);
    means.push((sum / reference.length).toFixed(3));
  }
  console.log(`${kernel.padEnd(8)} ${means.join(' ')}`);
}
fs.rmSync(dir, { recursive: true, force: true });

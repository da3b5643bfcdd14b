/**
 * Features per second of an encoder (frozen forward pass, pooled + grid read back), e.g.
 *   npx tsx packages/model/scripts/bench-encoder.ts resnet34 224 8 5
 * (kind, image size, batch, timed batches; one warm-up batch first). Random weights: speed does not
 * depend on them. Prints one JSON line.
 */
import { createEncoder, currentBackend, encoderConfigSchema, initBackend } from '../src/index';

const [kind = 'resnet34', size = '224', batch = '8', rounds = '5'] = process.argv.slice(2);
await initBackend('wasm');
const S = Number(size);
const n = Number(batch);
const encoder = await createEncoder(encoderConfigSchema.parse({ kind, imageSize: S }), 1);
const images = Float32Array.from({ length: n * S * S * 3 }, (_, i) => Math.sin(i));
await encoder.encode(images, n);
const start = performance.now();
for (let r = 0; r < Number(rounds); r++) await encoder.encode(images, n);
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    kind,
    imageSize: S,
    batch: n,
    backend: currentBackend(),
    imagesPerSecond: (n * Number(rounds)) / seconds,
  }),
);
encoder.dispose();

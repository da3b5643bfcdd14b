import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { createDashboardFixture } from './testing/fixture';
import type { DashboardFixture } from './testing/fixture';

// Thumbnails are found through the database only: the request names a sample row, never a path.
describe('GET /thumbnails/:sampleId', () => {
  let fixture: DashboardFixture;
  let server: FastifyInstance;
  let sampleIds: Map<string, number>;

  beforeAll(async () => {
    fixture = await createDashboardFixture();
    server = buildServer({ config: fixture.config, db: fixture.database.client });
    const rows = await fixture.database.client.evaluationSample.findMany({
      where: { evaluationId: fixture.evaluationId },
    });
    sampleIds = new Map(rows.map((r) => [r.imageId, r.id]));
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  it('renders a JPEG of the asked width from the data set image, then serves it from the cache', async () => {
    const id = sampleIds.get(fixture.manifest.items[0].id)!;
    const first = await server.inject(`/thumbnails/${id}?size=96`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('image/jpeg');
    expect((await sharp(first.rawPayload).metadata()).width).toBe(96);
    const cached = await fs.readdir(path.join(fixture.home, 'cache', 'thumbnails'), { recursive: true });
    expect(cached.filter((f) => f.endsWith('.jpg'))).toHaveLength(1);
    expect((await server.inject(`/thumbnails/${id}?size=96`)).rawPayload.equals(first.rawPayload)).toBe(true);
  });

  it('refuses crafted ids and sizes without touching the disk', async () => {
    for (const crafted of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '1.5', '-1', 'shapes-000000'])
      expect((await server.inject(`/thumbnails/${crafted}`)).statusCode, crafted).toBe(400);
    expect((await server.inject('/thumbnails/999999')).statusCode).toBe(404);
    expect((await server.inject(`/thumbnails/${sampleIds.values().next().value}?size=5000`)).statusCode).toBe(
      400,
    );
  });

  it("refuses an image whose file leads outside the data set's images (a symbolic link)", async () => {
    const item = fixture.manifest.items[1];
    const file = path.join(fixture.manifest.imagesRoot, item.file);
    const outside = path.join(fixture.home, 'secret.png');
    await fs.copyFile(file, outside);
    await fs.rm(file);
    await fs.symlink(outside, file);
    const answer = await server.inject(`/thumbnails/${sampleIds.get(item.id)}`);
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatch(/outside the data set's images/);
  });
});

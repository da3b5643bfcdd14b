import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { imagePath } from '@captioner/dataset';
import { buildServer } from './server';
import { MAX_UPLOAD_BYTES } from './routes/caption';
import { createDashboardFixture } from './testing/fixture';
import type { DashboardFixture } from './testing/fixture';
import { trainTinyRun } from './testing/trained-run';

interface CaptionAnswer {
  caption: string;
  words: string[];
  attention: number[][] | null;
  gridSide: number | null;
  stored?: string;
  matches?: boolean;
  error?: string;
}

// A model really trained by the stages on the fixture's shapes, captioning uploads inside the API.
describe('captioning an upload with a trained run', () => {
  let fixture: DashboardFixture;
  let server: FastifyInstance;
  let trained: { runId: string; evaluationId: string };
  let png: Buffer;

  beforeAll(async () => {
    fixture = await createDashboardFixture();
    trained = await trainTinyRun(fixture);
    server = buildServer({ config: fixture.config, db: fixture.database.client });
    png = await fs.readFile(imagePath(fixture.manifest, fixture.manifest.items[0]));
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  const post = (app: FastifyInstance, body: Buffer, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/runs/${trained.runId}/caption`,
      payload: body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
    });

  it('returns a caption with one attention map per word over the grid', async () => {
    const response = await post(server, png);
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json<CaptionAnswer>();
    expect(answer.words.length).toBeGreaterThan(0);
    expect(answer.caption).toBe(answer.words.join(' '));
    expect(answer.gridSide).toBeGreaterThan(0);
    expect(answer.attention).toHaveLength(answer.words.length);
    for (const weights of answer.attention!) {
      expect(weights).toHaveLength(answer.gridSide! ** 2);
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    }
    // Whatever the Content-Type says, the bytes decide: a JPEG sent as text/plain is captioned too.
    const jpeg = await sharp(png).jpeg().toBuffer();
    expect((await post(server, jpeg, { 'content-type': 'text/plain' })).statusCode).toBe(200);
  });

  it('refuses what is not an image by content, and bodies over the limit', async () => {
    const text = await post(server, Buffer.from('this is not a picture'), { 'content-type': 'image/png' });
    expect(text.statusCode).toBe(400);
    expect(text.json<CaptionAnswer>().error).toMatch(/uploaded image: not an image/);
    const empty = await post(server, Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    const large = await post(server, Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1));
    expect(large.statusCode).toBe(413);
    const unknown = await server.inject({ method: 'POST', url: '/api/runs/nope/caption', payload: png });
    expect(unknown.statusCode).toBe(404);
  });

  it('decodes a gallery sample again into its stored caption, with the maps', async () => {
    const samples = await fixture.database.client.evaluationSample.findMany({
      where: { evaluationId: trained.evaluationId },
    });
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) {
      const response = await server.inject(`/api/samples/${sample.id}/attention`);
      expect(response.statusCode, response.body).toBe(200);
      const answer = response.json<CaptionAnswer>();
      expect(answer.caption).toBe(sample.candidate);
      expect(answer.matches).toBe(true);
      expect(answer.attention).toHaveLength(answer.words.length);
    }
    expect((await server.inject('/api/samples/999999/attention')).statusCode).toBe(404);
  });

  it('is open when reads are, and behind the token when reads are protected', async () => {
    const token = 'caption-test-token-0123456789';
    const open = buildServer({ config: { ...fixture.config, apiToken: token }, db: fixture.database.client });
    const closed = buildServer({
      config: { ...fixture.config, apiToken: token, apiProtectReads: true },
      db: fixture.database.client,
    });
    try {
      expect((await post(open, png)).statusCode).toBe(200);
      expect((await post(closed, png)).statusCode).toBe(401);
      expect((await post(closed, png, { authorization: `Bearer ${token}` })).statusCode).toBe(200);
      // Other writes still need the token when reads are open.
      const archive = await open.inject({ method: 'POST', url: `/api/runs/${trained.runId}/archive` });
      expect(archive.statusCode).toBe(401);
    } finally {
      await open.close();
      await closed.close();
    }
  });
});

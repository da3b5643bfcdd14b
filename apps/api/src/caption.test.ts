import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { artifactPaths } from '@captioner/core';
import { findCheckpoint, getRun, readRunConfig } from '@captioner/db';
import { imagePath, loadVocabulary } from '@captioner/dataset';
import { exportModelBundle } from '@captioner/model';
import { decodingSettingsOf, runConfigSection } from '@captioner/stage-contract';
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

  it("captions with the run's exported bundle, the same as with its best checkpoint", async () => {
    const url = `/api/runs/${trained.runId}/caption?checkpoint=bundle`;
    const headers = { 'content-type': 'application/octet-stream' };
    const missing = await server.inject({ method: 'POST', url, payload: png, headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<CaptionAnswer>().error).toMatch(/no exported bundle/);
    // What `captioner export RUN` writes to the run's export directory.
    const db = fixture.database.client;
    const run = await getRun(db, trained.runId);
    const paths = artifactPaths(fixture.config.home);
    const runConfig = readRunConfig(run);
    await exportModelBundle({
      outDir: paths.exportDir(run.id),
      encoderDir: paths.encoderDir(run.id),
      checkpointDir: (await findCheckpoint(db, run.id, 'best'))!.path,
      extras: {
        vocabulary: (await loadVocabulary(paths.vocabulary(run.id))).toJSON(),
        preprocessing: runConfigSection(runConfig, 'preprocess'),
      },
      decoding: decodingSettingsOf(runConfigSection(runConfig, 'evaluation')),
    });
    const fromBundle = await server.inject({ method: 'POST', url, payload: png, headers });
    expect(fromBundle.statusCode, fromBundle.body).toBe(200);
    const best = (await post(server, png)).json<CaptionAnswer>();
    const bundled = fromBundle.json<CaptionAnswer & { checkpointId: string }>();
    expect(bundled.checkpointId).toBe('bundle');
    expect(bundled.caption).toBe(best.caption);
    expect(bundled.attention!.length).toBe(best.attention!.length);
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

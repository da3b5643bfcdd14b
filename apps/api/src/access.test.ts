import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPaths, loadConfig } from '@captioner/core';
import { listRunLogs, recordRunLog, runListView } from '@captioner/db';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { AUTH_REQUIRED_MESSAGE, CROSS_SITE_MESSAGE, READ_AUTH_MESSAGE, SESSION_COOKIE } from './auth';
import { createDashboardFixture } from './testing/fixture';
import type { DashboardFixture } from './testing/fixture';

const TOKEN = 'a-test-token-of-32-characters!!!';

describe('access: protected reads, login cookie, CSRF-safe writes, security headers; archive and delete', () => {
  let fixture: DashboardFixture;
  let server: FastifyInstance;
  let cookie: string;

  beforeAll(async () => {
    fixture = await createDashboardFixture({ CAPTIONER_API_TOKEN: TOKEN, CAPTIONER_API_PROTECT_READS: '1' });
    server = buildServer({ config: fixture.config, db: fixture.database.client });
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  it('refuses reads without the token: 401 for the JSON API, a redirect to the login form for pages', async () => {
    const api = await server.inject('/api/runs');
    expect([api.statusCode, api.json().error]).toEqual([401, READ_AUTH_MESSAGE]);
    const pageAnswer = await server.inject({ url: '/runs/x?y=1', headers: { accept: 'text/html' } });
    expect(pageAnswer.statusCode).toBe(303);
    expect(pageAnswer.headers.location).toBe('/login?next=%2Fruns%2Fx%3Fy%3D1');
    expect((await server.inject(`/thumbnails/1`)).statusCode).toBe(401);
    // Open: the login form, the health check, the static assets.
    for (const url of ['/login', '/health', '/assets/uPlot.min.css'])
      expect((await server.inject(url)).statusCode, url).toBe(200);
    expect(
      (await server.inject({ url: '/api/runs', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
    ).toBe(200);
    expect(
      (await server.inject({ url: '/api/runs', headers: { authorization: 'Bearer wrong' } })).statusCode,
    ).toBe(401);
  });

  it('sets an HttpOnly SameSite=Strict cookie for the right token only, and it opens the reads', async () => {
    const wrong = await server.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=nope&next=%2F',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const login = await server.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(TOKEN)}&next=${encodeURIComponent('//evil.example/x')}`,
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/'); // never off-site
    const set = String(login.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict`));
    expect(set).not.toContain(TOKEN);
    cookie = set.split(';')[0];
    expect((await server.inject({ url: '/api/runs', headers: { cookie } })).statusCode).toBe(200);
  });

  it('takes cookie writes from this site only; bearer writes from anywhere; nothing without either', async () => {
    const [a] = fixture.runs;
    const archive = (headers: Record<string, string>) =>
      server.inject({ method: 'POST', url: `/api/runs/${a}/archive`, headers, payload: { archived: true } });
    const cross = await archive({ cookie, origin: 'https://evil.example' });
    expect([cross.statusCode, cross.json().error]).toEqual([403, CROSS_SITE_MESSAGE]);
    expect((await archive({ cookie, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    const none = await archive({});
    expect([none.statusCode, none.json().error]).toEqual([401, AUTH_REQUIRED_MESSAGE]);
    expect((await archive({ cookie, origin: 'http://localhost:80', host: 'localhost:80' })).statusCode).toBe(
      200,
    );
    expect((await archive({ authorization: `Bearer ${TOKEN}`, origin: 'https://elsewhere' })).json()).toEqual(
      {
        id: a,
        archived: true,
      },
    );
    // Archived: off the run list unless asked for.
    const listed = (await runListView(fixture.database.client, 50)).map((r) => r.id);
    expect(listed).not.toContain(a);
    expect(
      (await runListView(fixture.database.client, 50, { includeArchived: true })).map((r) => r.id),
    ).toContain(a);
  });

  it('sends security headers', async () => {
    const answer = await server.inject({ url: '/login' });
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('deletes a finished run with its rows and its directory; refuses a running one', async () => {
    const [a, b] = fixture.runs;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const running = await server.inject({ method: 'DELETE', url: `/api/runs/${b}`, headers: auth });
    expect([running.statusCode, running.json().error]).toEqual([
      409,
      `run ${b} is running: it cannot become deleted (cancel it first)`,
    ]);
    const dir = artifactPaths(fixture.home).runDir(a);
    await fs.mkdir(`${dir}/checkpoints/step-00000010`, { recursive: true });
    await fs.writeFile(`${dir}/checkpoints/step-00000010/weights.bin`, 'w');
    await recordRunLog(fixture.database.client, { runId: a, level: 'info', message: 'x' });
    const deleted = await server.inject({ method: 'DELETE', url: `/api/runs/${a}`, headers: auth });
    expect(deleted.json()).toEqual({ id: a, deleted: true, artifacts: dir });
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const db = fixture.database.client;
    expect(await db.run.findUnique({ where: { id: a } })).toBeNull();
    expect(await db.metric.count({ where: { runId: a } })).toBe(0);
    expect(await db.evaluation.count({ where: { runId: a } })).toBe(0);
    expect(await db.evaluationSample.count({ where: { evaluationId: fixture.evaluationId } })).toBe(0);
    expect(await listRunLogs(db, a)).toEqual([]);
    expect((await server.inject({ method: 'DELETE', url: `/api/runs/${a}`, headers: auth })).statusCode).toBe(
      404,
    );
  });

  it('refuses CAPTIONER_API_PROTECT_READS without a token', () => {
    expect(() => loadConfig({ CAPTIONER_API_PROTECT_READS: '1' })).toThrow(
      'environment variable CAPTIONER_API_PROTECT_READS: needs CAPTIONER_API_TOKEN',
    );
  });
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { testRedisUrl } from '@captioner/test-services';
import { QUEUE_NAMES } from '@captioner/pipeline';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { createDashboardFixture } from './testing/fixture';
import type { DashboardFixture } from './testing/fixture';
import { findChromium } from './testing/chromium';

const TOKEN = 'queue-board-token-0123456789';
const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

describe('bull-board at /queues/board (the test Redis)', () => {
  let fixture: DashboardFixture;
  let server: FastifyInstance;

  beforeAll(async () => {
    fixture = await createDashboardFixture({
      CAPTIONER_API_TOKEN: TOKEN,
      REDIS_URL: testRedisUrl(),
      CAPTIONER_QUEUE_PREFIX: `test-board-${randomBytes(4).toString('hex')}`,
    });
    server = buildServer({ config: fixture.config, db: fixture.database.client });
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  it('needs the token even for reads, then lists the stage queues', async () => {
    expect((await server.inject('/queues/board')).statusCode).toBe(401);
    expect((await server.inject('/queues/board/api/queues')).statusCode).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const pageAnswer = await server.inject({ url: '/queues/board', headers: auth });
    expect(pageAnswer.statusCode).toBe(200);
    expect(pageAnswer.body).toContain('Captioner queues');
    const api = await server.inject({ url: '/queues/board/api/queues', headers: auth });
    expect(api.statusCode).toBe(200);
    const names = (api.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(Object.values(QUEUE_NAMES).sort());
  });

  it('renders in Chromium after the login form', async () => {
    const found = findChromium();
    if (!found.path) return;
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    const browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${base}/login?next=%2Fqueues%2Fboard`);
      await page.fill('input[name=token]', TOKEN);
      await Promise.all([page.waitForURL(`${base}/queues/board`), page.click('button[type=submit]')]);
      await page.waitForSelector(`text=${QUEUE_NAMES.preprocess}`, { timeout: 20_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'queue-board-desktop.png') });
    } finally {
      await browser.close();
    }
  });
});

/**
 * The dashboard in a real browser: Debian's Chromium (headless shell) driven by playwright-core, against the
 * API listening on 127.0.0.1 over a scratch database (src/testing/fixture.ts). Screenshots of the main pages,
 * at 1280×800 and phone size, go to apps/api/test-artifacts/ (git-ignored).
 *
 * No Chromium: the test fails when CI=true (one line saying what to install), otherwise it is skipped.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMetric, recordRunLog } from '@captioner/db';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { createDashboardFixture } from './testing/fixture';
import type { DashboardFixture } from './testing/fixture';
import { findChromium } from './testing/chromium';
import { trainTinyRun } from './testing/trained-run';
import { imagePath } from '@captioner/dataset';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

const found = findChromium();
if (!found.path && process.env.CI === 'true') throw new Error(found.missing);

describe.skipIf(!found.path)('dashboard in Chromium', () => {
  let fixture: DashboardFixture;
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    fixture = await createDashboardFixture();
    server = buildServer({ config: fixture.config, db: fixture.database.client });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'] });
    await fs.mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fixture?.close();
  });

  async function open(url: string, viewport: keyof typeof VIEWPORTS = 'desktop'): Promise<Page> {
    const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    (page as Page & { errors: string[] }).errors = errors;
    await page.goto(base + url);
    return page;
  }
  const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors;

  async function points(page: Page, metric: string): Promise<number> {
    return Number(await page.getAttribute(`.curve[data-metric="${metric}"]`, 'data-points'));
  }

  it('a run page draws one curve per metric with as many points as the run logged, and follows new rows', async () => {
    const runId = fixture.runs[1]; // still running: the page keeps polling
    const page = await open(`/runs/${runId}`);
    await page.waitForSelector('#curves[data-ready="1"] .curve canvas');
    for (const [name, count] of Object.entries(fixture.logged[runId]))
      expect(await points(page, name), name).toBe(count);
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-desktop.png'), fullPage: true });

    // The training goes on: two more loss rows appear on the page within a poll or two.
    const before = fixture.logged[runId]['train/loss'];
    for (const step of [before + 1, before + 2])
      await recordMetric(fixture.database.client, { runId, name: 'train/loss', step, epoch: 3, value: 0.2 });
    fixture.logged[runId]['train/loss'] += 2;
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('.curve[data-metric="train/loss"]')?.getAttribute('data-points')) === n,
      before + 2,
      { timeout: 15_000 },
    );
    expect(errorsOf(page)).toEqual([]);

    const phone = await open(`/runs/${runId}`, 'phone');
    await phone.waitForSelector('#curves[data-ready="1"] .curve canvas');
    // Usable on a phone: the charts fit the width (no horizontal scrolling of the page).
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'run-phone.png'), fullPage: true });
  });

  it('the comparison page overlays both runs and shows their scores and config differences', async () => {
    const [a, b] = fixture.runs;
    const page = await open(`/compare?ids=${a}&ids=${b}`);
    await page.waitForSelector('#curves[data-ready="1"] .curve canvas');
    expect(await points(page, 'train/loss')).toBe(
      fixture.logged[a]['train/loss'] + fixture.logged[b]['train/loss'],
    );
    const text = await page.textContent('body');
    expect(text).toContain('training.learningRate');
    expect(text).toContain('model.decoder.cell');
    expect(text).toContain('1.230'); // run a's final CIDEr-D
    expect(errorsOf(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'compare-desktop.png'), fullPage: true });
    const phone = await open(`/compare?ids=${a}&ids=${b}`, 'phone');
    await phone.waitForSelector('#curves[data-ready="1"] .curve canvas');
    await phone.screenshot({ path: path.join(ARTIFACTS, 'compare-phone.png'), fullPage: true });
  });

  it('the runs list fits a desktop and a phone window', async () => {
    for (const viewport of ['desktop', 'phone'] as const) {
      const page = await open('/', viewport);
      expect(await page.locator('tbody tr').count()).toBe(fixture.runs.length);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `runs-${viewport}.png`), fullPage: true });
    }
  });

  it("the gallery's thumbnails load, and it sorts and filters", async () => {
    const page = await open(`/evaluations/${fixture.evaluationId}`);
    const images = page.locator('.card img');
    expect(await images.count()).toBe(fixture.manifest.items.length);
    await page.evaluate(() => Promise.all(Array.from(document.images).map((img) => img.decode())));
    const widths = await images.evaluateAll((list) =>
      list.map((img) => (img as HTMLImageElement).naturalWidth),
    );
    expect(widths.every((w) => w === 192)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'gallery-desktop.png'), fullPage: true });

    await page.selectOption('select[name=order]', 'bleu4');
    await page.fill('input[name=word]', 'red');
    await Promise.all([page.waitForURL(/word=red/), page.click('button[type=submit]')]);
    const cards = await page.locator('.card').allTextContents();
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.every((c) => /\bred\b/i.test(c))).toBe(true);
    const phone = await open(`/evaluations/${fixture.evaluationId}`, 'phone');
    await phone.evaluate(() =>
      Promise.all(
        Array.from(document.images)
          .slice(0, 4)
          .map((img) => img.decode()),
      ),
    );
    await phone.screenshot({ path: path.join(ARTIFACTS, 'gallery-phone.png') });
  });
});

describe.skipIf(!found.path)('attention maps in Chromium, with a trained run', () => {
  let fixture: DashboardFixture;
  let trained: { runId: string; evaluationId: string };
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    fixture = await createDashboardFixture();
    trained = await trainTinyRun(fixture);
    server = buildServer({ config: fixture.config, db: fixture.database.client });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'] });
    await fs.mkdir(ARTIFACTS, { recursive: true });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fixture?.close();
  });

  /** The overlay's word and weights, as the page's canvas carries them. */
  async function overlay(page: Page): Promise<{ word: string; weights: number[] }> {
    const canvas = page.locator('canvas.attn-map').first();
    const weights = (await canvas.getAttribute('data-weights')) ?? '';
    return {
      word: (await canvas.getAttribute('data-word')) ?? '',
      weights: weights ? JSON.parse(weights) : [],
    };
  }

  it('an uploaded image gets a caption, and hovering or stepping through its words shows their maps', async () => {
    for (const viewport of ['desktop', 'phone'] as const) {
      const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${base}/caption?run=${trained.runId}`);
      await page.setInputFiles('input[type=file]', imagePath(fixture.manifest, fixture.manifest.items[0]));
      await page.click('button[type=submit]');
      await page.waitForSelector('.attn-word');
      const words = await page.locator('.attn-word').allTextContents();
      expect(words.length).toBeGreaterThan(0);
      expect(await page.textContent('.caption')).toBe(words.join(' '));
      await page.hover('.attn-word >> nth=0');
      const first = await overlay(page);
      expect(first.word).toBe(words[0]);
      expect(first.weights.length).toBeGreaterThan(0);
      expect(first.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
      if (words.length > 1) {
        await page.focus('.attn-word >> nth=0');
        await page.keyboard.press('ArrowRight');
        expect((await overlay(page)).word).toBe(words[1]);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `caption-${viewport}.png`), fullPage: true });
      await page.close();
    }
  });

  it("hovering a gallery caption lays its words' attention over the image", async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/evaluations/${trained.evaluationId}`);
    const card = page.locator('.card').first();
    await card.locator('.cand').hover();
    await card.locator('.attn-word').first().waitFor();
    const words = await card.locator('.attn-word').allTextContents();
    await card.locator('.attn-word').last().hover();
    const shown = await overlay(page);
    expect(shown.word).toBe(words[words.length - 1]);
    expect(shown.weights.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'gallery-attention-desktop.png'), fullPage: true });
    await page.close();
  });
});

describe.skipIf(!found.path)('dashboard in Chromium, reads protected by the token', () => {
  const TOKEN = 'browser-test-token-0123456789';
  let fixture: DashboardFixture;
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    fixture = await createDashboardFixture({ CAPTIONER_API_TOKEN: TOKEN, CAPTIONER_API_PROTECT_READS: '1' });
    await recordRunLog(fixture.database.client, {
      runId: fixture.runs[0],
      level: 'warn',
      stage: 'preprocess',
      shard: 0,
      message: 'image skipped: <b>bad</b> EXIF',
    });
    server = buildServer({ config: fixture.config, db: fixture.database.client });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'] });
    await fs.mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fixture?.close();
  });

  it('refuses a read without the token, logs in through the form, then archives and deletes from the run page', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const refused = await context.request.get(`${base}/api/runs`);
    expect(refused.status()).toBe(401);
    const page = await context.newPage();
    const [a] = fixture.runs;
    await page.goto(`${base}/runs/${a}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.screenshot({ path: path.join(ARTIFACTS, 'login-desktop.png') });
    await page.fill('input[name=token]', TOKEN);
    await Promise.all([page.waitForURL(`${base}/runs/${a}`), page.click('button[type=submit]')]);
    expect(await page.textContent('h1')).toContain(a);
    // The stored log line, escaped.
    expect(await page.locator('.log-warn').count()).toBe(1);
    expect(await page.textContent('#live')).toContain('image skipped: <b>bad</b> EXIF');
    expect((await context.request.get(`${base}/api/runs`)).status()).toBe(200);
    await page.waitForSelector('#curves[data-ready="1"] .curve canvas');
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-logs-desktop.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${base}/runs/${a}`), page.click('button:has-text("archive")')]);
    expect(await page.textContent('body')).toContain('hidden from the run list');
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      page.waitForURL(`${base}/`),
      page.click('button:has-text("delete with its artifacts")'),
    ]);
    expect(await fixture.database.client.run.findUnique({ where: { id: a } })).toBeNull();
    await context.close();
  });
});

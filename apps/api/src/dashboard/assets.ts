import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '@captioner/core';

const require = createRequire(import.meta.url);
const CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'client');
const UPLOT_DIST = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');

/** The page scripts (src/client/NAME.ts): TypeScript checked with the package, stripped to JS by esbuild. */
export const CLIENT_SCRIPTS = ['curves', 'caption'] as const;
/** Vendor files served as they are from node_modules: no CDN, nothing fetched from outside. */
const VENDOR: Record<string, { file: string; type: string }> = {
  'uPlot.iife.min.js': { file: path.join(UPLOT_DIST, 'uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: path.join(UPLOT_DIST, 'uPlot.min.css'), type: 'text/css' },
};

const compiled = new Map<string, Promise<string>>();

/** A client script as browser JavaScript, compiled once per process (a few ms). */
function clientScript(name: string): Promise<string> {
  let code = compiled.get(name);
  if (!code) {
    code = fs
      .readFile(path.join(CLIENT_DIR, `${name}.ts`), 'utf8')
      .then((source) => transform(source, { loader: 'ts', target: 'es2022', format: 'esm' }))
      .then((result) => result.code);
    compiled.set(name, code);
  }
  return code;
}

/** `/assets/NAME`: a fixed list of files; a name not on it is a 404, never a path on disk. */
export function registerAssetRoutes(app: FastifyInstance): void {
  app.get('/assets/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const vendor = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined;
    if (vendor) {
      return reply
        .type(vendor.type)
        .header('cache-control', 'public, max-age=86400')
        .send(await fs.readFile(vendor.file));
    }
    const script = /^([a-z-]+)\.js$/.exec(name)?.[1];
    if (script && (CLIENT_SCRIPTS as readonly string[]).includes(script)) {
      return reply
        .type('text/javascript')
        .header('cache-control', 'no-cache')
        .send(await clientScript(script));
    }
    throw new NotFoundError(`no asset: ${name}`);
  });
}

#!/usr/bin/env node
// Serves the example page, the browser build and one model bundle on http://127.0.0.1:<port>/ :
//   npm run build:browser -w @captioner/model
//   node packages/model/examples/browser/serve.mjs <bundle-dir> [port]
// then open the printed URL. Any static file server does the same job: the page, the build
// (dist/captioner-model.browser.js) next to it, and the bundle's files under ./bundle/.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const [bundleDir, port = '8080'] = process.argv.slice(2);
if (!bundleDir) {
  console.error('usage: node serve.mjs <bundle-dir> [port]');
  process.exit(2);
}
/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * The file a URL path names, or undefined (never outside the served directories).
 * @param {string} urlPath
 * @returns {string | undefined}
 */
function fileFor(urlPath) {
  if (urlPath === '/' || urlPath === '/index.html') return path.join(here, 'index.html');
  if (urlPath.startsWith('/captioner-model.browser.js')) return path.join(dist, urlPath.slice(1));
  if (urlPath.startsWith('/bundle/')) {
    const root = path.resolve(bundleDir);
    const file = path.resolve(root, `.${urlPath.slice('/bundle'.length)}`);
    return file.startsWith(`${root}${path.sep}`) ? file : undefined;
  }
  return undefined;
}

http
  .createServer((req, res) => {
    // Any failure (a malformed URL, a missing file) is a 404; nothing is left unanswered.
    const answer = async () => {
      const file = fileFor(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!file) throw new Error('not served');
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    };
    answer().catch(() => res.writeHead(404).end());
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/?bundle=./bundle/`));

#!/usr/bin/env node
// Entry point of the `captioner` command. Runs the JavaScript that `npm run build` writes to each
// package's dist/ (scripts/build-dist.mjs) when it is at least as new as every source it was built
// from; otherwise (no build, a source edited since, or CAPTIONER_FROM_SOURCE=1) the TypeScript
// sources through tsx: the development mode, which needs no build step. The check reads the
// build-inputs.json of this package and of each workspace package it uses and stats their sources
// (about 250 files, a few ms); an install without sources (the container images) runs dist/ as it is.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** True when apps/cli/dist and the dist/ of every package it reaches exist and are newer than their sources. */
function builtFilesAreCurrent() {
  const pending = ['apps/cli'];
  const seen = new Set(pending);
  while (pending.length > 0) {
    const dir = /** @type {string} */ (pending.pop());
    let manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(repo, dir, 'dist', 'build-inputs.json'), 'utf8'));
    } catch {
      return false;
    }
    const hasSources = fs.existsSync(path.join(repo, dir, 'src'));
    for (const file of hasSources ? manifest.inputs : []) {
      const stat = fs.statSync(path.join(repo, file), { throwIfNoEntry: false });
      if (stat === undefined || stat.mtimeMs > manifest.builtAt) return false;
    }
    for (const dependency of manifest.dependencies) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      pending.push(dependency);
    }
  }
  return true;
}

if (process.env.CAPTIONER_FROM_SOURCE !== '1' && builtFilesAreCurrent()) {
  // A variable, so that type-checking does not need dist/ to exist.
  const built = '../dist/main.js';
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}

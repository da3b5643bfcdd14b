import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BIN } from './testing/cli';

/**
 * bin/captioner.mjs chooses between the built dist/ and the sources (tsx). Exercised on a copy of
 * the bin in a small fake repository: dist/main.js prints "dist", and a fake `tsx/esm/api` prints
 * "source" when the bin registers it, before the bin would import the TypeScript entry.
 */
describe('bin/captioner.mjs', () => {
  let repo: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  };
  const manifest = (dir: string, builtAt: number, inputs: string[], dependencies: string[] = []) =>
    write(`${dir}/dist/build-inputs.json`, JSON.stringify({ builtAt, inputs, dependencies }));
  const run = (env: NodeJS.ProcessEnv = {}) =>
    execFileSync(process.execPath, [path.join(repo, 'apps/cli/bin/captioner.mjs')], {
      env: { ...process.env, CAPTIONER_FROM_SOURCE: '', ...env },
      encoding: 'utf8',
    }).trim();

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'captioner-bin-'));
    write('apps/cli/bin/captioner.mjs', fs.readFileSync(CLI_BIN, 'utf8'));
    write('apps/cli/dist/main.js', "console.log('dist');\n");
    write('apps/cli/src/main.ts', '');
    write('packages/core/src/index.ts', '');
    write(
      'node_modules/tsx/package.json',
      JSON.stringify({ name: 'tsx', exports: { './esm/api': './api.mjs' } }),
    );
    write(
      'node_modules/tsx/api.mjs',
      "export function register() { console.log('source'); process.exit(0); }\n",
    );
    const later = Date.now() + 60_000;
    manifest('apps/cli', later, ['apps/cli/src/main.ts'], ['packages/core']);
    manifest('packages/core', later, ['packages/core/src/index.ts']);
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('runs dist/ when it is newer than every source of the CLI and of the packages it uses', () => {
    expect(run()).toBe('dist');
  });

  it('runs the sources when one of them changed after the build, in the CLI or in a package', () => {
    manifest('packages/core', Date.now() - 60_000, ['packages/core/src/index.ts']);
    expect(run()).toBe('source');
  });

  it('runs the sources when a source was removed or a package was never built', () => {
    manifest(
      'apps/cli',
      Date.now() + 60_000,
      ['apps/cli/src/main.ts', 'apps/cli/src/gone.ts'],
      ['packages/core'],
    );
    expect(run()).toBe('source');
    manifest('apps/cli', Date.now() + 60_000, ['apps/cli/src/main.ts'], ['packages/core', 'packages/db']);
    expect(run()).toBe('source');
  });

  it('runs the sources when CAPTIONER_FROM_SOURCE=1', () => {
    expect(run({ CAPTIONER_FROM_SOURCE: '1' })).toBe('source');
  });

  it('runs dist/ as it is where no sources were shipped (the container images)', () => {
    fs.rmSync(path.join(repo, 'apps/cli/src'), { recursive: true });
    fs.rmSync(path.join(repo, 'packages/core/src'), { recursive: true });
    expect(run()).toBe('dist');
  });
});

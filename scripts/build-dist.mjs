// The second half of every package's `build` target (after tsc type-checked it): bundles the package's
// own sources into dist/, one file per entry of its package.json `exports` (dist/index.js for ".",
// dist/errors.js for "./errors", …) plus the entries given as arguments (`src/main.ts`).
//
// Why: running TypeScript through tsx transpiles every module on every start (about 2.8 s of CPU for
// `captioner --version`). The built files are plain ESM that Node loads as is.
//
// The scheme: package.json `exports` keep pointing at src/*.ts, so vitest, tsc and tsx (the
// development mode, no build step) are unchanged. In dist/, an import of another workspace package
// (`@captioner/db`) is rewritten to that package's built file (`../../../packages/db/dist/index.js`),
// so a built program never touches TypeScript and every package is loaded once, whichever way it is
// reached. Third-party packages stay external (node_modules). Code splitting within a package keeps
// its dynamic import()s lazy and its modules single (an `errors` entry and the index share a chunk).
//
// dist/build-inputs.json records the sources bundled, the build time and the workspace packages
// referenced: apps/cli/bin/captioner.mjs uses it to run the sources instead when dist/ is older.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_DIR = process.cwd();
const DIST = path.join(PACKAGE_DIR, 'dist');

/** @typedef {{ name: string, dir: string, exports: Record<string, string> }} WorkspacePackage */

/** @returns {WorkspacePackage[]} every package of the npm workspaces (packages/*, apps/*). */
function workspacePackages() {
  return ['packages', 'apps'].flatMap((group) =>
    fs
      .readdirSync(path.join(REPO, group))
      .map((name) => path.join(REPO, group, name))
      .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
      .map((dir) => {
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        return { name: manifest.name, dir, exports: manifest.exports ?? {} };
      }),
  );
}

/** "./src/errors.ts" -> "errors": the name of an entry's file in dist/. */
function entryName(/** @type {string} */ source) {
  return path.basename(source).replace(/\.[cm]?tsx?$/, '');
}

const packages = workspacePackages();
const self = packages.find((p) => p.dir === PACKAGE_DIR);
if (!self) throw new Error(`build-dist: ${PACKAGE_DIR} is not a workspace package`);

/** @type {Record<string, string>} */
const entryPoints = {};
for (const source of [...Object.values(self.exports), ...process.argv.slice(2)]) {
  entryPoints[entryName(source)] = path.resolve(PACKAGE_DIR, source);
}

/** @type {Set<string>} */
const referenced = new Set();
/** Workspace imports -> the other package's dist file; third-party imports stay as they are. */
const workspaceImports = {
  name: 'workspace-imports',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const target = packages.find((p) => args.path === p.name || args.path.startsWith(`${p.name}/`));
      if (!target) return { path: args.path, external: true };
      const subpath = `.${args.path.slice(target.name.length)}`;
      const source = target.exports[subpath];
      if (!source) return { errors: [{ text: `${args.path}: not in ${target.name}'s exports` }] };
      referenced.add(path.relative(REPO, target.dir));
      const file = path.join(target.dir, 'dist', `${entryName(source)}.js`);
      return { path: path.relative(DIST, file), external: true };
    });
  },
};

const builtAt = Date.now();
fs.rmSync(DIST, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints,
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  plugins: [workspaceImports],
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs)
  .map((file) => path.relative(REPO, path.resolve(PACKAGE_DIR, file)))
  .sort();
const manifest = { builtAt, inputs, dependencies: [...referenced].sort() };
fs.writeFileSync(path.join(DIST, 'build-inputs.json'), `${JSON.stringify(manifest, null, 1)}\n`);

import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * The browser build of `@captioner/model/browser` (Node only: run by `npm run build:browser`, and by the
 * browser test so that it never uses a stale build). Platform `browser`: a Node builtin (`node:fs`, …)
 * anywhere in the import graph fails the build instead of being shimmed.
 */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BROWSER_ENTRY = path.join(PACKAGE_DIR, 'src', 'browser.ts');
export const BROWSER_BUNDLE = path.join(PACKAGE_DIR, 'dist', 'captioner-model.browser.js');

export function browserBuildOptions(overrides: esbuild.BuildOptions = {}): esbuild.BuildOptions {
  return {
    entryPoints: [BROWSER_ENTRY],
    outfile: BROWSER_BUNDLE,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    // Error classes name themselves after their class (`this.name = new.target.name`): keep the names.
    keepNames: true,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'linked',
    ...overrides,
  };
}

/** onnxruntime-web's WebAssembly binary, fetched by the page next to the bundle (see OnnxWebOptions). */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/**
 * Builds `dist/captioner-model.browser.js` (+ `.map`) and copies onnxruntime-web's `.wasm` next to it
 * (not with `write: false`: the caller serves it); rejects with esbuild's errors.
 */
export async function buildBrowserBundle(overrides: esbuild.BuildOptions = {}): Promise<esbuild.BuildResult> {
  const result = await esbuild.build(browserBuildOptions(overrides));
  if (overrides.write === false) return result;
  const require = createRequire(import.meta.url);
  await fs.copyFile(
    require.resolve(`onnxruntime-web/${ORT_WASM_FILE}`),
    path.join(path.dirname(BROWSER_BUNDLE), ORT_WASM_FILE),
  );
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const started = Date.now();
  try {
    const result = await buildBrowserBundle();
    const bytes = Object.values(result.metafile?.outputs ?? {}).find((o) => o.entryPoint)?.bytes ?? 0;
    console.log(
      `${path.relative(process.cwd(), BROWSER_BUNDLE)}: ${(bytes / 1e6).toFixed(2)} MB in ${Date.now() - started} ms`,
    );
  } catch (error) {
    for (const message of (error as esbuild.BuildFailure).errors ?? []) {
      console.error(
        `${message.location ? `${message.location.file}:${message.location.line}: ` : ''}${message.text}`,
      );
    }
    if (!(error as esbuild.BuildFailure).errors) console.error(error);
    process.exitCode = 1;
  }
}

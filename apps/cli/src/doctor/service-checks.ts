import type { CaptionerConfig } from '@captioner/core';
import { describeError } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import { createProducerConnection, redactRedisUrl } from '@captioner/pipeline';
import { backendAttempts, initBackend, wasmThreadCount, wasmThreadsInUse } from '@captioner/tfjs-backend';
import type { Check } from './check';

/** How long doctor waits for Redis and the database before calling them unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

/**
 * Initialises tfjs as a worker would (CAPTIONER_BACKEND, or the first that works of the ladder) and
 * says which backend it got and why the ones before it failed. Required: every model stage needs one.
 */
export async function checkBackend(config: CaptionerConfig): Promise<Check> {
  let chosen: string | undefined;
  let failure: string | undefined;
  try {
    chosen = await initBackend(config.backend);
  } catch (error) {
    failure = describeError(error);
  }
  const tried = backendAttempts().map((a) => ({ ...a }));
  const skipped = tried.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.error}`);
  const how = config.backend
    ? `forced by CAPTIONER_BACKEND=${config.backend}`
    : 'the first that works of tfjs-node-gpu, tfjs-node, wasm, cpu';
  return {
    name: 'backend',
    status: chosen ? 'ok' : 'fail',
    required: true,
    summary: chosen
      ? `${chosen} (${how})${skipped.length ? `; not used: ${skipped.join('; ')}` : ''}`
      : `${failure} (${how})`,
    details: { chosen: chosen ?? null, forced: config.backend ?? null, tried },
  };
}

/** The wasm backend's threads: asked for (CAPTIONER_WASM_THREADS or the cores) and started. */
export function checkWasmThreads(env: NodeJS.ProcessEnv): Check {
  let wanted: number;
  try {
    wanted = wasmThreadCount(env);
  } catch (error) {
    return { name: 'wasm-threads', status: 'fail', required: true, summary: describeError(error) };
  }
  const started = wasmThreadsInUse();
  const status = started === undefined ? 'skip' : started < wanted ? 'warn' : 'ok';
  return {
    name: 'wasm-threads',
    status,
    required: false,
    summary:
      started === undefined
        ? `${wanted} wanted (wasm not in use)`
        : `${started} started of ${wanted} wanted${started < wanted ? ' (threaded build failed: single-threaded)' : ''}`,
    details: { wanted, started: started ?? null },
  };
}

interface OnnxRuntimeModule {
  env?: { versions?: Record<string, string> };
  listSupportedBackends?: () => { name: string; bundled?: boolean }[];
}

/** ONNX Runtime for Node and its execution providers, when installed (it is optional). */
export async function checkOnnxRuntime(): Promise<Check> {
  const specifier = 'onnxruntime-node';
  let ort: OnnxRuntimeModule;
  try {
    // A non-literal specifier: the package is optional, neither tsc nor the bundler may require it.
    ort = (await import(/* @vite-ignore */ specifier)) as OnnxRuntimeModule;
  } catch (error) {
    return {
      name: 'onnxruntime',
      status: 'skip',
      required: false,
      summary: `not installed (${describeError(error).split('\n')[0].slice(0, 120)})`,
    };
  }
  const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'unknown version';
  const providers = ort.listSupportedBackends?.().map((b) => b.name) ?? [];
  return {
    name: 'onnxruntime',
    status: 'ok',
    required: false,
    summary: `onnxruntime-node ${version}; providers: ${providers.length ? providers.join(', ') : 'not listed by this version'}`,
    details: { version, providers },
  };
}

/** Redis answers PING at REDIS_URL; required when set (runs are enqueued there). */
export async function checkRedis(config: CaptionerConfig): Promise<Check> {
  if (!config.redisUrl) {
    return {
      name: 'redis',
      status: 'skip',
      required: false,
      summary: 'REDIS_URL unset: stages run in the calling process',
    };
  }
  const url = redactRedisUrl(config.redisUrl);
  try {
    const redis = await createProducerConnection(config.redisUrl, CONNECT_TIMEOUT_MS);
    const info = await redis.info('server');
    redis.disconnect();
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return {
      name: 'redis',
      status: 'ok',
      required: true,
      summary: `${url} (Redis ${version})`,
      details: { url, version },
    };
  } catch (error) {
    return { name: 'redis', status: 'fail', required: true, summary: describeError(error), details: { url } };
  }
}

/** The database opens (and is migrated, as every command does on first use). Always required. */
export async function checkDatabase(config: CaptionerConfig): Promise<Check> {
  try {
    const db = await openDatabase(config.databaseUrl, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    await db.close();
    return {
      name: 'database',
      status: 'ok',
      required: true,
      summary: `${db.displayUrl} (${db.provider})`,
      details: { url: db.displayUrl, provider: db.provider },
    };
  } catch (error) {
    return {
      name: 'database',
      status: 'fail',
      required: true,
      summary: describeError(error),
      details: { provider: config.databaseProvider },
    };
  }
}

import { ConfigError, describeError, loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import type { Check } from './check';
import { checkBrowser, checkDisk, checkGpus } from './environment-checks';
import {
  checkBackend,
  checkDatabase,
  checkOnnxRuntime,
  checkRedis,
  checkWasmThreads,
} from './service-checks';

/**
 * Reads the configuration; a bad variable becomes a failed `config` check and is left out (its
 * default used) so that every other check still runs and says what it can.
 */
export function configCheck(env: NodeJS.ProcessEnv): { config: CaptionerConfig; check: Check } {
  const remaining = { ...env };
  const problems: string[] = [];
  for (;;) {
    try {
      const config = loadConfig(remaining);
      const check: Check = problems.length
        ? {
            name: 'config',
            status: 'fail',
            required: true,
            summary: problems.join('; '),
            details: { problems },
          }
        : { name: 'config', status: 'ok', required: true, summary: `CAPTIONER_HOME=${config.home}` };
      return { config, check };
    } catch (error) {
      const variable =
        error instanceof ConfigError ? /^environment variable (\w+):/.exec(error.message)?.[1] : undefined;
      if (!variable || !(variable in remaining)) throw error;
      problems.push(describeError(error));
      delete remaining[variable];
    }
  }
}

/** Every check of `captioner doctor`, in display order. */
export async function runChecks(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const { config, check } = configCheck(env);
  const backend = await checkBackend(config);
  return [
    check,
    backend,
    await checkGpus(config.backend ?? env.CAPTIONER_BACKEND, env),
    checkWasmThreads(env),
    await checkOnnxRuntime(),
    await checkRedis(config),
    await checkDatabase(config),
    await checkDisk(config.home),
    checkBrowser(env),
  ];
}

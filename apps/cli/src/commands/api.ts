import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import { startApi } from '@captioner/api';
import { intOption } from '../options';
import { printLine } from '../output';

function portOption(value: string): number {
  const port = intOption(value);
  if (port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port (0-65535)`);
  return port;
}

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description(
      'serve the HTTP API and the web dashboard until SIGTERM/SIGINT (runs are enqueued on REDIS_URL)',
    )
    .option('--port <n>', 'TCP port (0 = any free port)', portOption, 3000)
    .option(
      '--host <address>',
      'address to listen on (0.0.0.0 exposes it: there is no authentication)',
      '127.0.0.1',
    )
    .action(async (opts) => {
      const config = loadConfig();
      const database = await openDatabase(config.databaseUrl);
      try {
        const api = await startApi(config, { port: opts.port, host: opts.host, database });
        printLine(`captioner api listening on ${api.url} (dashboard at ${api.url}/)`);
        // Serve until a signal; closing waits for in-flight requests, then the database is closed below.
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            void api.close().finally(resolve);
          };
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
        });
      } finally {
        // The server has stopped; the process exits next, which releases the connection if close failed.
        await database.close().catch(() => {});
      }
    });
}

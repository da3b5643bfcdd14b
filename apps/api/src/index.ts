import type { CaptionerConfig } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import type { Database } from '@captioner/db';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';

export { buildServer } from './server';
export type { ServerOptions } from './server';
export { escapeHtml } from './dashboard/html';
export { statusOf } from './errors';
export { NO_REDIS_MESSAGE } from './producer';

export interface RunningApi {
  server: FastifyInstance;
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  /** Stops listening, then closes the database if startApi opened it. */
  close(): Promise<void>;
}

/** Serves the API and dashboard on `host:port`. Opens the database unless one is given. */
export async function startApi(
  config: CaptionerConfig,
  options: { port: number; host: string; database?: Database; log?: boolean },
): Promise<RunningApi> {
  const database = options.database ?? (await openDatabase(config.databaseUrl));
  const server = buildServer({ config, db: database.client, log: options.log ?? true });
  try {
    const url = await server.listen({ port: options.port, host: options.host });
    return {
      server,
      url,
      close: async () => {
        await server.close();
        if (!options.database) await database.close();
      },
    };
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
}

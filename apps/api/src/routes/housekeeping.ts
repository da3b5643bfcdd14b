import fs from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { artifactPaths } from '@captioner/core';
import { deleteRunRows, setRunArchived } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { parseInput } from '../validation';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1).max(200) });
const archiveBody = z.strictObject({ archived: z.boolean().default(true) });
const archiveForm = z.object({ archived: z.enum(['0', '1']).default('1') });

/** Deletes a run's rows, then its directory under CAPTIONER_HOME (shards, features, checkpoints, exports). */
async function deleteRun(db: DbClient, home: string, id: string) {
  await deleteRunRows(db, id);
  const dir = artifactPaths(home).runDir(id);
  await fs.rm(dir, { recursive: true, force: true });
  return { id, deleted: true, artifacts: dir };
}

/** Archive and delete: writes, so behind the token (see auth.ts) like every other write. */
export function registerHousekeepingRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.post('/api/runs/:id/archive', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { archived } = parseInput(archiveBody, request.body, 'body');
    await setRunArchived(db, id, archived);
    return { id, archived };
  });

  app.delete('/api/runs/:id', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return deleteRun(db, config.home, id);
  });

  // The dashboard's buttons: plain HTML forms, answered with a redirect.
  app.post('/runs/:id/archive', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { archived } = parseInput(archiveForm, request.body, 'body');
    await setRunArchived(db, id, archived === '1');
    return reply.redirect(`/runs/${encodeURIComponent(id)}`, 303);
  });

  app.post('/runs/:id/delete', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    await deleteRun(db, config.home, id);
    return reply.redirect('/', 303);
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getDataset, listDatasets } from '@captioner/db';
import { jsonColumn } from '@captioner/db';
import { parseInput } from '../validation';
import type { RouteContext } from './context';

const paramsSchema = z.object({ name: z.string().min(1) });

function datasetView(d: Awaited<ReturnType<typeof getDataset>>) {
  return { ...d, splits: jsonColumn(d.splits, {}), report: jsonColumn(d.report, null) };
}

export function registerDatasetRoutes(app: FastifyInstance, { db }: RouteContext): void {
  app.get('/api/datasets', async () => {
    // The list leaves out the import reports, which can be long; GET /api/datasets/:name has them.
    return (await listDatasets(db)).map(({ report: _report, ...d }) => ({
      ...d,
      splits: jsonColumn(d.splits, {}),
    }));
  });

  app.get('/api/datasets/:name', async (request) => {
    const { name } = parseInput(paramsSchema, request.params, 'params');
    return datasetView(await getDataset(db, name));
  });
}

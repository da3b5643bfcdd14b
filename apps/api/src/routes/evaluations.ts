import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestEvaluation } from '../actions';
import { parseInput } from '../validation';
import { evaluationView } from '@captioner/db';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });
const showQuery = z.object({ samples: z.coerce.number().int().min(1).max(100).default(5) });
// The same bounds as the evaluate job payload (packages/pipeline/src/payloads.ts).
const requestBody = z.strictObject({
  runId: z.string().min(1),
  checkpoint: z.string().min(1).optional(),
  split: z.enum(['val', 'test']).optional(),
  beamSize: z.number().int().min(1).max(20).optional(),
  lengthPenalty: z.number().min(0).max(5).optional(),
  noRepeatNgramSize: z.number().int().min(0).max(10).optional(),
  maxLength: z.number().int().min(1).max(100).optional(),
  maxImages: z.number().int().nonnegative().optional(),
});

export function registerEvaluationRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.post('/api/evaluations', async (request, reply) => {
    const body = parseInput(requestBody, request.body, 'body');
    return reply.status(202).send(await requestEvaluation(config, db, body));
  });

  app.get('/api/evaluations/:id', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { samples } = parseInput(showQuery, request.query, 'query');
    return evaluationView(db, id, samples);
  });
}

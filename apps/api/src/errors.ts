import {
  ConfigError,
  ConnectionError,
  IllegalTransitionError,
  InvalidInputError,
  NotFoundError,
  describeError,
} from '@captioner/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

/** The HTTP status of an error: the API's whole error policy, in one place. */
export function statusOf(error: unknown): number {
  if (error instanceof InvalidInputError || error instanceof ConfigError || error instanceof ZodError)
    return 400;
  if (error instanceof NotFoundError) return 404;
  // The run, stage or evaluation is in a state that refuses the change (e.g. cancelling a finished run).
  if (error instanceof IllegalTransitionError) return 409;
  if (error instanceof ConnectionError) return 503;
  // Fastify's own client errors (malformed JSON, wrong content type, body too large) carry their status.
  const status = (error as Partial<FastifyError> | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  return 500;
}

/** Every error becomes `{ error: "one line" }`; unexpected ones are logged with their stack, not shown. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(error);
  if (status >= 500 && status !== 503) {
    request.log.error({ err: error }, 'request failed');
    void reply.status(status).send({ error: 'internal error' });
    return;
  }
  void reply.status(status).send({ error: describeError(error) });
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export const AUTH_REQUIRED_MESSAGE = 'this API needs Authorization: Bearer <CAPTIONER_API_TOKEN> for writes';

/** Compares digests, so neither the token's length nor its prefix leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * With a token configured, every request that changes something (anything but GET/HEAD/OPTIONS) must
 * carry it as a bearer token: starting a run costs GPU hours. Reads stay open so that the dashboard works
 * in a plain browser; restrict them with the network (loopback, a proxy).
 */
export function requireTokenForWrites(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const header = request.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    if (!sameToken(given, token)) {
      return reply.status(401).header('www-authenticate', 'Bearer').send({ error: AUTH_REQUIRED_MESSAGE });
    }
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { clearedSessionCookie, isSameOrigin, safeNext, sameToken, sessionCookie } from '../auth';
import { renderLoginPage } from '../dashboard/login-page';
import { parseInput } from '../validation';
import type { RouteContext } from './context';

const loginBody = z.object({
  token: z.string().max(1000).default(''),
  next: z.string().max(2000).optional(),
});

/** The dashboard's login form: the token in, an HttpOnly SameSite=Strict session cookie out. */
export function registerAccessRoutes(app: FastifyInstance, { config }: RouteContext): void {
  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as { next?: unknown }).next);
    return reply.type('text/html; charset=utf-8').send(renderLoginPage(next, Boolean(config.apiToken)));
  });

  app.post('/login', async (request, reply) => {
    const { token, next } = parseInput(loginBody, request.body, 'body');
    const expected = config.apiToken;
    if (!expected) return reply.redirect(safeNext(next), 303);
    if (!isSameOrigin(request)) return reply.status(403).send({ error: 'cross-site login refused' });
    if (!sameToken(token, expected)) {
      return reply
        .status(401)
        .type('text/html; charset=utf-8')
        .send(renderLoginPage(safeNext(next), true, 'wrong token'));
    }
    return reply
      .header('set-cookie', sessionCookie(expected, request.protocol === 'https'))
      .redirect(safeNext(next), 303);
  });

  app.post('/logout', async (_request, reply) =>
    reply.header('set-cookie', clearedSessionCookie()).redirect('/login', 303),
  );
}

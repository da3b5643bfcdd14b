import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const AUTH_REQUIRED_MESSAGE = 'this API needs Authorization: Bearer <CAPTIONER_API_TOKEN> for writes';
export const READ_AUTH_MESSAGE =
  'this API needs Authorization: Bearer <CAPTIONER_API_TOKEN> (or the dashboard login) for reads too';
export const CROSS_SITE_MESSAGE =
  'cross-site write refused: send Authorization: Bearer, or use the dashboard';
export const SESSION_COOKIE = 'captioner_session';

/** Compares digests, so neither the token's length nor its prefix leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The session cookie's value: derived from the token (HMAC), so the cookie is not the token itself, stays
 * valid across restarts and API processes, and every session ends when the token changes.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('captioner dashboard session v1').digest('hex');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Always reachable: the login form itself, the static assets and the health check (load balancers). */
const OPEN_PATHS = [/^\/login$/, /^\/assets\//, /^\/health$/];
/** Always behind the token, reads too: the queue board shows job payloads and can change jobs. */
const ALWAYS_PROTECTED = /^\/queues\/board(\/|$)/;
/**
 * Captioning an upload is a POST that changes nothing: it is treated as a read (open when reads are, behind
 * the token when CAPTIONER_API_PROTECT_READS is on), not as a write that would always need the token.
 */
const READ_LIKE_POSTS = /^\/api\/runs\/[^/]+\/caption$/;

function bearerOf(request: FastifyRequest): string {
  return /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
}

function cookieOf(request: FastifyRequest, name: string): string {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return '';
}

/**
 * Whether a cookie-authenticated write comes from this site. The cookie is SameSite=Strict (a browser does
 * not send it from another site); on top, the request's Origin (or, without one, Sec-Fetch-Site) must be
 * ours. A bearer header is not sent by browsers on their own, so it needs no such check.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin) {
    try {
      // Through URL on both sides, so that a default port (`:80` on http) compares equal to none.
      const from = new URL(origin);
      return from.host === new URL(`${from.protocol}//${request.headers.host ?? ''}`).host;
    } catch {
      return false;
    }
  }
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Where to send the browser after the login form: a path of this site only (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

export interface AccessOptions {
  token: string | undefined;
  protectReads: boolean;
}

/**
 * Access control, one onRequest hook. Without a token nothing is checked (keep the API on loopback). With
 * one, writes need the bearer token or the dashboard's session cookie from a same-origin page (CSRF); with
 * `protectReads`, reads need one of them too: pages answer with a redirect to the login form, the JSON
 * API with 401.
 */
export function registerAccessControl(app: FastifyInstance, { token, protectReads }: AccessOptions): void {
  if (!token) return;
  const session = sessionValue(token);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (OPEN_PATHS.some((p) => p.test(path))) return;
    const read =
      SAFE_METHODS.has(request.method) || (request.method === 'POST' && READ_LIKE_POSTS.test(path));
    if (bearerOf(request) && sameToken(bearerOf(request), token)) return;
    const hasSession = sameToken(cookieOf(request, SESSION_COOKIE), session);
    if (read) {
      if ((!protectReads && !ALWAYS_PROTECTED.test(path)) || hasSession) return;
      return refuse(request, reply, READ_AUTH_MESSAGE);
    }
    if (hasSession) {
      if (isSameOrigin(request)) return;
      return reply.status(403).send({ error: CROSS_SITE_MESSAGE });
    }
    return refuse(request, reply, AUTH_REQUIRED_MESSAGE);
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, message: string) {
  const wantsPage =
    request.method === 'GET' &&
    !request.url.startsWith('/api/') &&
    (request.headers.accept ?? '').includes('text/html');
  if (wantsPage) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  return reply.status(401).header('www-authenticate', 'Bearer').send({ error: message });
}

/** The Set-Cookie header of a session (HttpOnly, SameSite=Strict; Secure when the request came over TLS). */
export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${7 * 24 * 3600}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

export { sameToken };

/**
 * CORS for browser clients (CORS_ALLOWED_ORIGINS): which origin an answer allows, and the answer
 * to a preflight. The decisions are pure functions of the configuration and the request's
 * headers; {@link applyCors} and {@link answerPreflight} put them on a node:http response.
 *
 * `*` (the default, as the original's permissive CORS) is safe for this API because nothing is
 * authorized by cookies: every request carries its bearer token explicitly, so another origin's
 * page can do only what its own token allows. No `Access-Control-Allow-Credentials`, ever.
 *
 * Only node:http answers carry CORS headers: the fast lane hands any request with an `Origin`
 * header to node:http (request-parser.ts), so browser requests never cost the lane anything and
 * the lane's prebuilt answers stay as they are.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsConfig } from '../../config/sse.js';
import { errorBody } from './respond.js';

/** Methods the gateway's routes answer. */
const ALLOW_METHODS = 'GET, POST, OPTIONS';
/** Request headers a browser may send (a preflight asking for others is answered without them). */
const ALLOWED_HEADERS = new Set(['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'cache-control', 'x-requested-with']);
/** Response headers a browser script may read beyond the safelisted ones. */
const EXPOSE_HEADERS = 'idempotent-replayed, retry-after, allow';

/** The `Access-Control-Allow-Origin` value for a request from `origin`, or null (no CORS headers). */
export function allowedOrigin(cfg: CorsConfig, origin: string | undefined): string | null {
  if (origin === undefined || cfg.origins === null) return null;
  if (cfg.origins === '*') return '*';
  return cfg.origins.includes(origin) ? origin : null;
}

export interface PreflightAnswer {
  status: number;
  /** flat header list for writeHead */
  headers: string[];
  body: string;
}

/**
 * The answer to `OPTIONS`: a preflight (Origin and Access-Control-Request-Method present) from an
 * allowed origin gets 204 with the allowed methods and headers; from another origin 403
 * `CORS_ORIGIN_NOT_ALLOWED`. A plain OPTIONS (no preflight) gets 204 with `Allow`.
 */
export function preflight(cfg: CorsConfig, origin: string | undefined, requestMethod: string | undefined, requestHeaders: string | undefined): PreflightAnswer {
  if (origin === undefined || requestMethod === undefined) {
    return { status: 204, headers: ['allow', ALLOW_METHODS], body: '' };
  }
  const allow = allowedOrigin(cfg, origin);
  if (allow === null) {
    const body = errorBody('CORS_ORIGIN_NOT_ALLOWED');
    return { status: 403, headers: ['content-type', 'application/json', 'content-length', String(body.length), 'vary', 'Origin'], body };
  }
  const headers = ['access-control-allow-origin', allow, 'access-control-allow-methods', ALLOW_METHODS, 'access-control-max-age', String(cfg.maxAgeSec)];
  const asked = allowedRequestHeaders(requestHeaders);
  if (asked !== '') headers.push('access-control-allow-headers', asked);
  if (allow !== '*') headers.push('vary', 'Origin');
  return { status: 204, headers, body: '' };
}

/** The requested headers this API takes, lower case, comma-separated (others are left out). */
export function allowedRequestHeaders(requested: string | undefined): string {
  if (requested === undefined) return '';
  const out: string[] = [];
  for (const h of requested.split(',')) {
    const name = h.trim().toLowerCase();
    if (ALLOWED_HEADERS.has(name) && !out.includes(name)) out.push(name);
  }
  return out.join(', ');
}

/** Puts the CORS headers of a request's origin on its answer (before writeHead). */
export function applyCors(cfg: CorsConfig, req: IncomingMessage, res: ServerResponse): void {
  const allow = allowedOrigin(cfg, req.headers.origin);
  if (cfg.origins !== null && cfg.origins !== '*') res.setHeader('vary', 'Origin');
  if (allow === null) return;
  res.setHeader('access-control-allow-origin', allow);
  res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
}

export function answerPreflight(cfg: CorsConfig, req: IncomingMessage, res: ServerResponse): void {
  const h = req.headers;
  const a = preflight(cfg, h.origin, h['access-control-request-method'] as string | undefined, h['access-control-request-headers'] as string | undefined);
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

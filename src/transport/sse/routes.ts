/**
 * The SSE routes (node:http; translation only, the streams are streams.ts's):
 *
 *   GET /stream                   the caller's account's events
 *   GET /stream?accountId=<id>    another account's (admin only; a non-admin's own id is fine)
 *   GET /stream?all=1             every account's events (admin only)
 *   GET /orders/{orderId}/stream  one order's events
 *
 * Authentication: `Authorization: Bearer <JWT>` as every route, or `?access_token=<JWT>`
 * (RFC 6750 §2.3) for browsers' EventSource, which cannot send headers. 401 as the other routes.
 *
 * An order of another account is 404 `{"error":"NOT_FOUND"}` (existence not revealed); an
 * order the gateway does not know (yet) still streams, as the original's did — but only events
 * of the caller's own account, so no stream ever shows another account's events.
 *
 * Refusals: 403 FORBIDDEN (all/accountId without admin), 429 SSE_TOO_MANY_STREAMS (the
 * account's cap, with Retry-After), 503 SSE_CAPACITY_EXHAUSTED (the global cap) and 503
 * SHUTTING_DOWN.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import { header } from '../http/body.js';
import { errorBody, sendError } from '../http/respond.js';
import { parseLastEventId, type StreamScope } from './frames.js';
import { REFUSAL_STATUS, type SseStreams } from './streams.js';

/** Which account an order belongs to (undefined: not known to the gateway). */
export interface OrderOwners {
  ownerOf(orderId: string): string | undefined;
}

export interface SseRoutesDeps {
  log: Logger;
  auth: Authenticator;
  streams: SseStreams;
  owners: OrderOwners;
  counters: { authFailures: number };
}

/** Seconds a client refused for its account's cap is told to wait. */
const RETRY_AFTER_SEC = '5';
const ACCOUNT_RE = /^[\x21-\x7e]{1,64}$/;
const STREAM_SUFFIX = '/stream';

interface Pending {
  routes: SseRoutes;
  req: IncomingMessage;
  res: ServerResponse;
  target: Target;
  query: URLSearchParams;
}

/** What the path names: the account stream, or an order's. */
type Target = { kind: 'account' } | { kind: 'order'; orderId: string };

function onPrincipal(p: Principal | AuthFailure | null, r: Pending): void {
  r.routes.answer(p, r);
}

function decodeSegment(s: string): string | null {
  if (s === '' || s.includes('/')) return null;
  if (!s.includes('%')) return s;
  try {
    const d = decodeURIComponent(s);
    return d.includes('/') ? null : d;
  } catch {
    return null;
  }
}

export class SseRoutes {
  constructor(private readonly d: SseRoutesDeps) {}

  /** Answers the SSE routes; false for any other path. */
  route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined): boolean {
    let target: Target;
    if (path === '/stream') target = { kind: 'account' };
    else if (path.startsWith('/orders/') && path.endsWith(STREAM_SUFFIX) && path.length > 8 + STREAM_SUFFIX.length) {
      const orderId = decodeSegment(path.slice(8, -STREAM_SUFFIX.length));
      if (orderId === null) return false;
      target = { kind: 'order', orderId };
    } else return false;
    if (method !== 'GET') {
      res.setHeader('allow', 'GET');
      sendError(res, 405, 'METHOD_NOT_ALLOWED');
      return true;
    }
    const q = url.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let auth = header(req, 'authorization');
    const token = query.get('access_token');
    if (auth === undefined && token !== null && token !== '') auth = 'Bearer ' + token;
    const r: Pending = { routes: this, req, res, target, query };
    const p = this.d.auth.resolve(auth, onPrincipal, r);
    if (p !== undefined) this.answer(p, r);
    return true;
  }

  answer(p: Principal | AuthFailure | null, r: Pending): void {
    const { res } = r;
    if (res.destroyed) return;
    if (p === null) return sendError(res, 500, 'INTERNAL_ERROR');
    if (p instanceof AuthFailure) {
      this.d.counters.authFailures++;
      return sendError(res, 401, p.error);
    }
    const scope = this.scopeOf(p, r);
    if (typeof scope === 'number') return sendError(res, scope, scope === 404 ? 'NOT_FOUND' : scope === 400 ? 'INVALID_QUERY' : 'FORBIDDEN');
    const refused = this.d.streams.admit(p.accountId);
    if (refused !== null) {
      const body = errorBody(refused);
      const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
      if (refused === 'SSE_TOO_MANY_STREAMS') headers.push('retry-after', RETRY_AFTER_SEC);
      res.writeHead(REFUSAL_STATUS[refused], headers);
      res.end(body);
      return;
    }
    this.d.streams.openStream(res, scope, p.accountId, parseLastEventId(header(r.req, 'last-event-id')));
  }

  /** The scope the caller may follow, or the HTTP status refusing it. */
  private scopeOf(p: Principal, r: Pending): StreamScope | number {
    const t = r.target;
    if (t.kind === 'order') {
      const owner = this.d.owners.ownerOf(t.orderId);
      if (owner !== undefined && owner !== p.accountId && !p.isAdmin) return 404;
      return { kind: 'order', accountId: owner ?? p.accountId, orderId: t.orderId };
    }
    const all = r.query.get('all');
    if (all !== null && all !== '' && all !== '0') {
      if (all !== '1' && all !== 'true') return 400;
      return p.isAdmin ? { kind: 'all' } : 403;
    }
    const accountId = r.query.get('accountId');
    if (accountId !== null && accountId !== '' && accountId !== p.accountId) {
      if (!ACCOUNT_RE.test(accountId)) return 400;
      return p.isAdmin ? { kind: 'account', accountId } : 403;
    }
    return { kind: 'account', accountId: p.accountId };
  }
}

/**
 * HTTP routes of the durable path (translation only; the logic is in durable/service.ts):
 *
 *   POST /orders                        new order (orders-entry.ts), answered once durable
 *   GET  /orders/{orderId}              the caller's order
 *   GET  /orders/client/{clientOrderId} the caller's newest order with that clientOrderId
 *   POST /orders/{orderId}/cancel       cancel, answered once journaled
 *   GET  /orders/{orderId}/events       lifecycle events of the caller's order
 *   GET  /accounts/{accountId}/events   the caller's events (accountId must be the caller's)
 *   GET  /audit/verify?fromSeq=&limit=&journal=  journal chain verification
 *   GET  /audit/anchor?journal=                  chain head (seq, time, key id, hash)
 *   (journal: `orders`, the default, or `v3-shard-<n>`)
 *
 * Another account's order or account is 404 {"error":"NOT_FOUND"} (existence is not revealed).
 * Every route needs a valid token; the audit routes accept any account.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import type { DurableOrders } from '../../durable/service.js';
import type { JournalAnchor } from '../../journal/format.js';
import { readAnchor, verifyJournal } from '../../journal/verify.js';
import { type EventQuery, selectEvents } from '../../orders/event-index.js';
import { eventJson } from '../../orders/events.js';
import type { OrderEvent } from '../../orders/order.js';
import { type AnswerSink, NodeAnswer } from './answer.js';
import { header, precheck, readBody } from './body.js';
import { liveOrderJson, type OrdersHttpCounters } from './durable-answers.js';
import type { LiveOrder } from '../../execution/live-order.js';
import type { OrdersEntry } from './orders-entry.js';
import { errorBody, rejectBody, sendError, sendJson, sendJsonUtf8 } from './respond.js';
import { httpStatus, statusWord } from './status.js';

export interface OrdersRoutesDeps {
  log: Logger;
  auth: Authenticator;
  svc: DurableOrders<AnswerSink>;
  /** POST /orders */
  entry: OrdersEntry;
  counters: OrdersHttpCounters;
  maxBodyBytes: number;
  /** positions and open exposure of an account (GET /accounts/{id}/positions) */
  positions?: (accountId: string) => Array<{ symbol: string; net: number; openBuy: number; openSell: number }>;
  /** the orders at venues (GET /orders/{id} of /v3 and binary TCP orders; absent: no venues) */
  executions?: { find(orderId: string): LiveOrder | undefined };
  /** the /v3 shard journals, for `?journal=v3-shard-<n>` on the audit routes (absent: none) */
  v3Journals?: V3Journals;
}

/** Where the /v3 shard journals are and how far each is durable. */
export interface V3Journals {
  readonly shards: number;
  dir(shard: number): string;
  durableSeq(shard: number): number;
}

function decodeSegment(s: string): string | null {
  if (s === '' || s.includes('/')) return null;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Epoch ms from a query time: digits (≤ 10 = seconds, more = ms) or ISO-8601; NaN if neither. */
export function parseTime(v: string): number {
  if (/^\d{1,16}$/.test(v)) return v.length <= 10 ? Number(v) * 1000 : Number(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : NaN;
  }
  return NaN;
}

/** Parses limit/since/after (reference §1.9); null when a value is invalid. */
export function parseEventQuery(query: string, maxSeq: number): EventQuery | null {
  const p = new URLSearchParams(query);
  const q: EventQuery = { limit: 100, since: null, after: null, maxSeq };
  const limit = p.get('limit');
  if (limit !== null && limit !== '') {
    if (!/^\d{1,9}$/.test(limit)) return null;
    q.limit = Math.min(1000, Math.max(1, Number(limit)));
  }
  for (const name of ['since', 'after'] as const) {
    const v = p.get(name);
    if (v === null || v === '') continue;
    const t = parseTime(v);
    if (Number.isNaN(t)) return null;
    q[name] = t;
  }
  return q;
}

/** A node:http request of these routes waiting for its token. */
interface Pending {
  routes: OrdersRoutes;
  res: ServerResponse;
  then: (p: Principal) => void;
}

function onPrincipal(p: Principal | AuthFailure | null, r: Pending): void {
  r.routes.withResolved(p, r.res, r.then);
}

export class OrdersRoutes {
  constructor(private readonly d: OrdersRoutesDeps) {}

  /** Handles the durable path's routes; returns false for any other path. */
  route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined, t0: number): boolean {
    if (path === '/orders') {
      if (method !== 'POST') return this.methodNotAllowed(res, 'POST');
      const problem = precheck(req, this.d.maxBodyBytes);
      if (problem !== null) {
        res.shouldKeepAlive = false;
        this.d.entry.badRequest(new NodeAnswer(res), problem === 'PAYLOAD_TOO_LARGE' ? 413 : 415, problem, undefined, t0);
        return true;
      }
      readBody(req, res, this.d.maxBodyBytes, t0, this.d.entry.onBody);
      return true;
    }
    if (path.startsWith('/orders/')) {
      this.orderPath(req, res, path.slice(8), url, method, t0);
      return true;
    }
    if (path.startsWith('/accounts/')) {
      const rest = path.slice(10);
      const slash = rest.indexOf('/');
      const id = slash < 0 ? null : decodeSegment(rest.slice(0, slash));
      const what = slash < 0 ? '' : rest.slice(slash + 1);
      if (id !== null && what === 'positions' && this.d.positions !== undefined) {
        if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
        const positions = this.d.positions;
        this.withPrincipal(req, res, (p) => {
          if (id !== p.accountId && !p.isAdmin) return sendError(res, 404, 'NOT_FOUND');
          sendJsonUtf8(res, 200, JSON.stringify({ accountId: id, positions: positions(id) }));
        });
        return true;
      }
      if (id === null || what !== 'events') {
        sendError(res, 404, 'NOT_FOUND');
        return true;
      }
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      this.withPrincipal(req, res, (p) => this.accountEvents(res, p, id, url));
      return true;
    }
    if (path === '/audit/verify' || path === '/audit/anchor') {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      if (path === '/audit/anchor') this.withPrincipal(req, res, () => this.anchor(res, url));
      else this.withPrincipal(req, res, () => this.verify(res, url));
      return true;
    }
    return false;
  }

  private methodNotAllowed(res: ServerResponse, allow: string): true {
    res.setHeader('allow', allow);
    sendError(res, 405, 'METHOD_NOT_ALLOWED');
    return true;
  }

  // ---- other routes ------------------------------------------------------------------------

  private withPrincipal(req: IncomingMessage, res: ServerResponse, then: (p: Principal) => void): void {
    const r: Pending = { routes: this, res, then };
    const p = this.d.auth.resolve(header(req, 'authorization'), onPrincipal, r);
    if (p !== undefined) this.withResolved(p, res, then);
  }

  withResolved(p: Principal | AuthFailure | null, res: ServerResponse, then: (p: Principal) => void): void {
    if (p === null) return sendError(res, 500, 'INTERNAL_ERROR');
    if (p instanceof AuthFailure) {
      this.d.counters.authFailures++;
      return sendError(res, 401, p.error);
    }
    try {
      then(p);
    } catch (err) {
      this.d.log.error({ err }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_ERROR');
    }
  }

  private orderPath(req: IncomingMessage, res: ServerResponse, rest: string, url: string, method: string | undefined, t0: number): void {
    const svc = this.d.svc;
    if (rest.startsWith('client/')) {
      const coid = decodeSegment(rest.slice(7));
      if (coid === null) return sendError(res, 404, 'NOT_FOUND');
      if (method !== 'GET') return void this.methodNotAllowed(res, 'GET');
      return this.withPrincipal(req, res, (p) => {
        const o = svc.book.byClientOrderId(p.accountId, coid);
        if (o === undefined) return sendError(res, 404, 'NOT_FOUND');
        svc.read(o, new NodeAnswer(res), t0);
      });
    }
    const slash = rest.indexOf('/');
    const id = decodeSegment(slash < 0 ? rest : rest.slice(0, slash));
    const tail = slash < 0 ? '' : rest.slice(slash + 1);
    if (id === null || (tail !== '' && tail !== 'cancel' && tail !== 'events')) return sendError(res, 404, 'NOT_FOUND');
    if (tail === 'cancel') {
      if (method !== 'POST') return void this.methodNotAllowed(res, 'POST');
      req.resume(); // no body is needed; discard one if sent
      return this.withPrincipal(req, res, (p) => {
        const r = svc.cancel(p.accountId, id, new NodeAnswer(res), t0);
        if (r === null) return;
        if (r === 'ORDER_NOT_FOUND') return sendError(res, 404, 'NOT_FOUND');
        sendJson(res, httpStatus(r), rejectBody(statusWord(r), r));
      });
    }
    if (method !== 'GET') return void this.methodNotAllowed(res, 'GET');
    this.withPrincipal(req, res, (p) => {
      const o = svc.book.getFor(p.accountId, id);
      if (o === undefined) {
        // a /v3 or binary TCP order the execution stage routed
        const live = tail === '' ? this.d.executions?.find(id) : undefined;
        if (live === undefined || live.accountId !== p.accountId) return sendError(res, 404, 'NOT_FOUND');
        return sendJsonUtf8(res, 200, liveOrderJson(live));
      }
      if (tail === '') return svc.read(o, new NodeAnswer(res), t0);
      const q = parseEventQuery(queryOf(url), svc.durableSeq);
      if (q === null) return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY'));
      if (o.acceptRecordSeq > q.maxSeq) return sendError(res, 404, 'NOT_FOUND');
      sendEvents(res, JSON.stringify(o.orderId), 'null', selectEvents(o.events, q));
    });
  }

  private accountEvents(res: ServerResponse, p: Principal, accountId: string, url: string): void {
    if (accountId !== p.accountId) return sendError(res, 404, 'NOT_FOUND');
    const svc = this.d.svc;
    const q = parseEventQuery(queryOf(url), svc.durableSeq);
    if (q === null) return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY'));
    sendEvents(res, 'null', JSON.stringify(accountId), selectEvents(svc.book.events.list(accountId), q));
  }

  /**
   * The journal an audit request names: `journal` absent or `orders` → the durable path's;
   * `v3-shard-<n>` → that /v3 shard journal (read up to its durable seq). undefined = bad name.
   */
  private auditTarget(p: URLSearchParams): { dir: string; untilSeq: number } | null | undefined {
    const name = p.get('journal');
    if (name === null || name === 'orders') return null;
    const m = /^v3-shard-(\d{1,3})$/.exec(name);
    const v3 = this.d.v3Journals;
    if (m === null || v3 === undefined || Number(m[1]) >= v3.shards) return undefined;
    const shard = Number(m[1]);
    return { dir: v3.dir(shard), untilSeq: v3.durableSeq(shard) };
  }

  private verify(res: ServerResponse, url: string): void {
    const p = new URLSearchParams(queryOf(url));
    const target = this.auditTarget(p);
    if (target === undefined) return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY', 'journal must be orders or v3-shard-<n> (a configured shard, with /v3 journaling on)'));
    const fromRaw = p.get('fromSeq') ?? '';
    const limitRaw = p.get('limit') ?? '';
    if ((fromRaw !== '' && !/^\d{1,15}$/.test(fromRaw)) || (limitRaw !== '' && !/^\d{1,9}$/.test(limitRaw))) {
      return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY', 'fromSeq and limit must be non-negative integers'));
    }
    const fromSeq = Math.max(1, fromRaw === '' ? 1 : Number(fromRaw));
    const limit = Math.min(10_000, Math.max(1, limitRaw === '' ? 1000 : Number(limitRaw)));
    const run =
      target === null
        ? this.d.svc.verify(fromSeq, limit)
        : target.untilSeq < fromSeq
          ? Promise.resolve({ ok: true, checked: 0, lastSeq: 0, error: null })
          : verifyJournal(target.dir, this.d.svc.keys, { fromSeq, limit, untilSeq: target.untilSeq, chunkBytes: 256 * 1024 });
    run.then(
      (v) => sendJsonUtf8(res, 200, JSON.stringify({ ok: v.ok, checked: v.checked, lastSeq: v.lastSeq, error: v.error })),
      (err: unknown) => {
        this.d.log.error({ err }, 'journal verification failed');
        sendError(res, 500, 'INTERNAL_ERROR');
      },
    );
  }

  private anchor(res: ServerResponse, url: string): void {
    const target = this.auditTarget(new URLSearchParams(queryOf(url)));
    if (target === undefined) return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY', 'journal must be orders or v3-shard-<n> (a configured shard, with /v3 journaling on)'));
    const send = (a: JournalAnchor | null): void => {
      if (a === null) return sendJson(res, 404, errorBody('ANCHOR_NOT_AVAILABLE'));
      sendJsonUtf8(res, 200, JSON.stringify({ seq: a.seq, at: a.atMs, keyId: a.keyId, hash: a.hash }));
    };
    if (target === null) return send(this.d.svc.journal.anchor());
    if (target.untilSeq === 0) return send(null);
    readAnchor(target.dir, target.untilSeq).then(send, (err: unknown) => {
      this.d.log.error({ err }, 'reading the /v3 journal anchor failed');
      sendError(res, 500, 'INTERNAL_ERROR');
    });
  }
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

function sendEvents(res: ServerResponse, orderIdJson: string, accountIdJson: string, events: OrderEvent[]): void {
  let s = '{"orderId":' + orderIdJson + ',"accountId":' + accountIdJson + ',"events":[';
  for (let i = 0; i < events.length; i++) {
    if (i > 0) s += ',';
    s += eventJson(events[i]!);
  }
  sendJsonUtf8(res, 200, s + ']}');
}

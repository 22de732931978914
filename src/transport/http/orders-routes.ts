/**
 * HTTP routes of the durable path (translation only; the logic is in durable/service.ts):
 *
 *   POST /orders                        new order, answered once its journal record is durable
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
import { OrdType, Side, TIF_NAMES } from '../../contract/order.js';
import { ContractViolation, parseOrderRequest } from '../../contract/order-request.js';
import type { Reason } from '../../contract/reasons.js';
import { AnswerKind, type DurableOrders, type DurableResponder } from '../../durable/service.js';
import { DecimalFormatter } from '../../fastpath/decimal.js';
import type { JournalAnchor } from '../../journal/format.js';
import { readAnchor, verifyJournal } from '../../journal/verify.js';
import type { LatencyHistogram } from '../../metrics/latency.js';
import { type EventQuery, selectEvents } from '../../orders/event-index.js';
import { eventJson } from '../../orders/events.js';
import type { Order, OrderEvent } from '../../orders/order.js';
import { type BodyRequest, header, OVERSIZE, precheck, readBody } from './body.js';
import { LaneSlot, type OrdersLaneEndpoint } from './fast-lane.js';
import { errorBody, isAscii, rejectBody, sendError, sendJson, sendJsonUtf8, sendReply } from './respond.js';

export interface OrdersRoutesDeps {
  log: Logger;
  auth: Authenticator;
  svc: DurableOrders;
  maxBodyBytes: number;
  /** every order-route answer, all outcomes (gateway_ack_*) */
  ack: LatencyHistogram;
  /** the /v3 shard journals, for `?journal=v3-shard-<n>` on the audit routes (absent: none) */
  v3Journals?: V3Journals;
}

/** Where the /v3 shard journals are and how far each is durable. */
export interface V3Journals {
  readonly shards: number;
  dir(shard: number): string;
  durableSeq(shard: number): number;
}

export class OrdersHttpCounters {
  authFailures = 0;
  badRequests = 0;
  replays = 0;
}

const KEY_RE = /^[\x20-\x7e]{1,128}$/;
const seqText = new DecimalFormatter();

/** HTTP status and body status word of a durable-path reject reason. */
export function durableStatusOf(r: Reason): [number, string] {
  switch (r) {
    case 'IDEMPOTENCY_KEY_REUSED':
      return [409, 'REJECTED'];
    case 'V3_GLOBAL_KILLED':
    case 'V3_ACCOUNT_KILLED':
      return [503, 'KILLED'];
    case 'BACKPRESSURE_INFLIGHT_SOFT':
    case 'BACKPRESSURE_SOFT_WAL_AGE':
    case 'RATE_LIMITED':
      return [429, 'REJECTED'];
    case 'BACKPRESSURE_WAL_BYTES':
    case 'BACKPRESSURE_WAL_AGE':
    case 'BACKPRESSURE_DISK_FREE':
    case 'SERVER_SHUTDOWN':
      return [503, 'REJECTED'];
    case 'WAL_DURABILITY_FAILED':
    case 'INTERNAL_ERROR':
      return [500, 'REJECTED'];
    case 'ORDER_NOT_FOUND':
      return [404, 'REJECTED'];
    default:
      return [422, 'REJECTED'];
  }
}

/** The 202 body of an accepted order (also the replay body). */
export function ackBody(o: Order, durable: boolean): string {
  const coid = o.clientOrderId;
  const n = seqText.format(o.acceptSeq);
  return (
    '{"orderId":"' + o.orderId +
    '","clientOrderId":' + (coid === null ? 'null' : JSON.stringify(coid)) +
    ',"status":"ACCEPTED","acceptSeq":' + n +
    ',"requestId":"req_' + n + (durable ? '"}' : '","durable":false}')
  );
}

/** The order as `GET /orders/{id}` shows it. */
export function orderJson(o: Order): string {
  const r = o.request;
  return (
    '{"orderId":"' + o.orderId +
    '","accountId":' + JSON.stringify(o.accountId) +
    ',"clientOrderId":' + (r.clientOrderId === null ? 'null' : JSON.stringify(r.clientOrderId)) +
    ',"symbol":' + JSON.stringify(r.symbol) +
    ',"side":"' + (r.side === Side.Buy ? 'BUY' : 'SELL') +
    '","type":"' + (r.type === OrdType.Limit ? 'LIMIT' : 'MARKET') +
    '","qty":' + r.qty +
    ',"price":' + (r.type === OrdType.Market ? 'null' : r.price) +
    ',"timeInForce":"' + TIF_NAMES[r.timeInForce] +
    '","expireAt":' + (r.expireAt === 0 ? 'null' : r.expireAt) +
    ',"status":"' + o.status +
    '","filledQty":' + o.filledQty +
    ',"acceptedAt":' + o.acceptedAt +
    ',"lastUpdateAt":' + o.lastUpdateAt +
    ',"acceptSeq":' + o.acceptSeq +
    '}'
  );
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

export class OrdersRoutes implements DurableResponder, OrdersLaneEndpoint {
  readonly counters = new OrdersHttpCounters();
  private readonly onOrderBody = (req: BodyRequest, res: ServerResponse, body: string): void => this.orderBody(req, res, body);

  constructor(private readonly d: OrdersRoutesDeps) {
    d.svc.setResponder(this);
  }

  /** Handles the durable path's routes; returns false for any other path. */
  route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined, t0: number): boolean {
    if (path === '/orders') {
      if (method !== 'POST') return this.methodNotAllowed(res, 'POST');
      const problem = precheck(req, this.d.maxBodyBytes);
      if (problem !== null) {
        res.shouldKeepAlive = false;
        this.badRequest(res, problem === 'PAYLOAD_TOO_LARGE' ? 413 : 415, problem, undefined, t0);
        return true;
      }
      readBody(req, res, this.d.maxBodyBytes, t0, this.onOrderBody);
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
      if (id === null || rest.slice(slash + 1) !== 'events') {
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

  private badRequest(ctx: unknown, status: number, reason: Reason, message: string | undefined, t0: number): void {
    this.counters.badRequests++;
    this.d.log.debug({ status, reason, message }, 'order rejected');
    const body = rejectBody('REJECTED', reason, message);
    reply(ctx, status, body, message === undefined || isAscii(body), false);
    this.d.ack.since(t0, performance.now());
  }

  // ---- POST /orders ------------------------------------------------------------------------

  private orderBody(req: BodyRequest, res: ServerResponse, body: string): void {
    if (body === OVERSIZE) {
      res.shouldKeepAlive = false;
      return this.badRequest(res, 413, 'PAYLOAD_TOO_LARGE', undefined, req._sy_t0);
    }
    this.enter(header(req, 'authorization'), header(req, 'idempotency-key'), body, req._sy_t0, res);
  }

  /** POST /orders from the HTTP fast lane (token checked): the answer goes to `slot`. */
  handle(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, slot: LaneSlot): void {
    this.order(auth, key, body, t0, slot);
  }

  /** A POST /orders whose body has been read; `ctx` (ServerResponse or LaneSlot) gets the answer. */
  private enter(authorization: string | undefined, key: string | undefined, body: string, t0: number, ctx: unknown): void {
    const auth = this.d.auth.cached(authorization);
    if (auth !== undefined) return this.order(auth, key, body, t0, ctx);
    this.d.auth.verify(authorization).then(
      (p) => this.order(p, key, body, t0, ctx),
      (err: unknown) => {
        this.d.log.error({ err }, 'token verification failed unexpectedly');
        reply(ctx, 500, errorBody('INTERNAL_ERROR'), true, false);
      },
    );
  }

  private order(auth: Principal | AuthFailure, key: string | undefined, body: string, t0: number, ctx: unknown): void {
    if (auth instanceof AuthFailure) {
      this.counters.authFailures++;
      reply(ctx, 401, errorBody(auth.error), true, false);
      this.d.ack.since(t0, performance.now());
      return;
    }
    const order = parseOrderRequest(body);
    if (order instanceof ContractViolation) return this.badRequest(ctx, order.status, order.reason, order.message, t0);

    if (key !== undefined) {
      key = key.trim();
      if (key === '') key = undefined;
      else if (!KEY_RE.test(key)) return this.badRequest(ctx, 400, 'INVALID_IDEMPOTENCY_KEY', undefined, t0);
    }
    if (key === undefined || key === order.clientOrderId) {
      // (the same string object as the clientOrderId: an order keeps one copy)
      if (order.clientOrderId === null) return this.badRequest(ctx, 400, 'IDEMPOTENCY_REQUIRED', undefined, t0);
      key = order.clientOrderId;
    }

    const reason = this.d.svc.submit(auth.accountId, key, order, ctx, t0);
    if (reason === null) return;
    const [status, word] = durableStatusOf(reason);
    if (status >= 500) this.d.log.warn({ status, reason }, 'order refused');
    else this.d.log.debug({ status, reason }, 'order rejected');
    reply(ctx, status, rejectBody(word, reason), true, false);
    this.d.ack.since(t0, performance.now());
  }

  // ---- answers from the durable service ----------------------------------------------------

  answer(kind: AnswerKind, ctx: unknown, o: Order, t0: number): void {
    switch (kind) {
      case AnswerKind.Accepted:
        reply(ctx, 202, ackBody(o, this.d.svc.fsyncOn), true, false);
        this.d.ack.since(t0, performance.now());
        return;
      case AnswerKind.Replay:
        this.counters.replays++;
        reply(ctx, 202, ackBody(o, this.d.svc.fsyncOn), true, true); // clientOrderIds are printable ASCII
        this.d.ack.since(t0, performance.now());
        return;
      case AnswerKind.Cancel:
        reply(ctx, 202, '{"orderId":"' + o.orderId + '","clientOrderId":' + (o.clientOrderId === null ? 'null' : JSON.stringify(o.clientOrderId)) + ',"status":"' + o.status + '"}', true, false);
        return;
      case AnswerKind.CancelFinal:
        reply(
          ctx,
          409,
          JSON.stringify({ status: 'REJECTED', reason: 'ORDER_FINAL', message: 'the order is in a final state', orderId: o.orderId, orderStatus: o.status }),
          true,
          false,
        );
        return;
      case AnswerKind.Read:
        reply(ctx, 200, orderJson(o), true, false);
        return;
    }
  }

  fail(kind: AnswerKind, ctx: unknown, o: Order, t0: number, reason: Reason): void {
    if (kind === AnswerKind.Read && o.rolledBack) return reply(ctx, 404, errorBody('NOT_FOUND'), true, false);
    reply(ctx, 500, rejectBody('REJECTED', reason), true, false);
    if (kind === AnswerKind.Accepted || kind === AnswerKind.Replay) this.d.ack.since(t0, performance.now());
  }

  // ---- other routes ------------------------------------------------------------------------

  private withPrincipal(req: IncomingMessage, res: ServerResponse, then: (p: Principal) => void): void {
    const done = (p: Principal | AuthFailure): void => {
      if (p instanceof AuthFailure) {
        this.counters.authFailures++;
        return sendError(res, 401, p.error);
      }
      try {
        then(p);
      } catch (err) {
        this.d.log.error({ err }, 'request failed');
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_ERROR');
      }
    };
    const authorization = header(req, 'authorization');
    const c = this.d.auth.cached(authorization);
    if (c !== undefined) return done(c);
    this.d.auth.verify(authorization).then(done, (err: unknown) => {
      this.d.log.error({ err }, 'token verification failed unexpectedly');
      sendError(res, 500, 'INTERNAL_ERROR');
    });
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
        svc.read(o, res, t0);
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
        const r = svc.cancel(p.accountId, id, res, t0);
        if (r === null) return;
        if (r === 'ORDER_NOT_FOUND') return sendError(res, 404, 'NOT_FOUND');
        const [status, word] = durableStatusOf(r);
        sendJson(res, status, rejectBody(word, r));
      });
    }
    if (method !== 'GET') return void this.methodNotAllowed(res, 'GET');
    this.withPrincipal(req, res, (p) => {
      const o = svc.book.getFor(p.accountId, id);
      if (o === undefined) return sendError(res, 404, 'NOT_FOUND');
      if (tail === '') return svc.read(o, res, t0);
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

/** Sends an answer to where the request came from: node:http's response or a fast-lane slot. */
function reply(ctx: unknown, status: number, body: string, ascii: boolean, replayed: boolean): void {
  if (ctx instanceof LaneSlot) ctx.complete(status, body, ascii, replayed);
  else sendReply(ctx as ServerResponse, status, body, ascii, replayed);
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

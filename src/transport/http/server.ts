/**
 * HTTP/1.1 transport: the node:http server, with the fast lane (fast-lane.ts) in front of its
 * connection listener; routes requests, reads bodies, and translates domain results to status
 * codes and JSON. No domain state lives here.
 *
 * Malformed HTTP (llhttp errors, timeouts, oversized heads) is answered as a protocol error —
 * `{"error":"BAD_REQUEST"}` and the like, never worded as an order reject — and only after the
 * answers already due on the connection have gone out (a durable order before the garbage keeps
 * its 202). A client that half-closes keeps receiving the answers of what it sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import type { HttpConfig } from '../../config/transport.js';
import { Confirmations } from '../../confirmation/confirmations.js';
import type { Reason } from '../../contract/reasons.js';
import type { FastPath } from '../../fastpath/fast-path.js';
import type { CorsConfig } from '../../config/sse.js';
import type { SseRoutes } from '../sse/routes.js';
import { AdminRoutes } from './admin.js';
import { answerPreflight, applyCors } from './cors.js';
import { type EventsFeed, FEED_PATH } from './events-feed.js';
import { HttpCounters, type HttpStages } from './counters.js';
import { type BodyRequest, header, OVERSIZE, precheck, readBody } from './body.js';
import { FastLane } from './fast-lane.js';
import type { OrdersEntry } from './orders-entry.js';
import type { OrdersRoutes } from './orders-routes.js';
import { protocolError, rejectBody, sendError, sendJson, sendJsonUtf8, sendReply, sendValue } from './respond.js';
import { V3OrderEntry } from './v3-entry.js';

/** What /health reports: readiness for orders, and the fields it shows. */
export interface HealthReport {
  /** false: new orders cannot be taken (journal failed, shutting down): /health answers 503 */
  ready: boolean;
  /** why not ready (null when ready) */
  reason: string | null;
  fields: Record<string, unknown>;
}

/** The Prometheus exposition, as /metrics serves it. */
export interface MetricsText {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface HttpDeps {
  log: Logger;
  auth: Authenticator;
  fastPath: FastPath;
  /** durable confirmation of /v3 orders (GET /v3/orders/{sessionId}/{sessionSeq}) */
  confirm?: Confirmations;
  metrics: MetricsText;
  stages: HttpStages;
  cfg: HttpConfig;
  idempotencyWindow: number;
  health: () => HealthReport;
  resetMetrics: () => void;
  /** serve POST /v3/orders and POST /orders through the fast lane (fast-lane.ts); default true */
  fastLane?: boolean;
  /** more routes served by a layer above (the operator console at /console) */
  mounted?: MountedRoutes;
  /** the durable path: POST /orders and its other routes */
  orders?: { entry: OrdersEntry; routes: OrdersRoutes };
  /** GET /stream and GET /orders/{id}/stream (absent: 404) */
  sse?: SseRoutes;
  /** CORS for browser clients (absent: no CORS headers, OPTIONS is 405) */
  cors?: CorsConfig;
  /** GET /events/feed (events-feed.ts) */
  feed?: EventsFeed;
}

/** Routes of a part above the transport, asked before the transport answers 404. */
export interface MountedRoutes {
  /** true when it answered the request */
  route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined): boolean;
}

/** A /v3 request from node:http waiting for its token. */
interface V3Pending {
  http: HttpTransport;
  res: ServerResponse;
  key: string | undefined;
  body: string;
  t0: number;
}

function onV3Principal(p: Principal | AuthFailure | null, r: V3Pending): void {
  r.http.v3Answer(p, r);
}

/** Per-socket: node:http answers not yet finished, and a protocol error waiting behind them. */
const kDue = Symbol('switchyard.due');
const kError = Symbol('switchyard.error');
/** The response's socket (node:http detaches it before 'close'). */
const kSocket = Symbol('switchyard.socket');
interface TrackedSocket extends Socket {
  [kDue]?: number;
  [kError]?: string;
}

function onResponseDone(this: ServerResponse & { [kSocket]?: TrackedSocket }): void {
  const s = this[kSocket];
  if (s === undefined || s[kDue] === undefined) return;
  s[kDue]--;
  flushError(s);
}

/**
 * Writes the protocol error waiting on `s` once nothing is due before it: no routed answer, and
 * no answer of node:http's own (a missing Host, say) in flight; then the connection ends. If one
 * of those answers ended the connection already, nothing more is written.
 */
function flushError(s: TrackedSocket & { _httpMessage?: ServerResponse | null }): void {
  const response = s[kError];
  if (response === undefined || (s[kDue] ?? 0) > 0) return;
  const inFlight = s._httpMessage;
  if (inFlight) {
    inFlight.once('close', () => flushError(s));
    return;
  }
  s[kError] = undefined;
  if (s.writable) s.end(response);
  else s.destroy();
}

export class HttpTransport {
  readonly server: Server;
  readonly counters = new HttpCounters();
  private readonly v3: V3OrderEntry;
  /** POST /v3/orders and POST /orders straight off the socket (null when turned off) */
  readonly fastLane: FastLane | null;
  private readonly admin: AdminRoutes;
  private readonly onV3Body = (req: BodyRequest, res: ServerResponse, body: string): void => this.v3Body(req, res, body);

  constructor(private readonly d: HttpDeps) {
    this.v3 = new V3OrderEntry({ log: d.log, fastPath: d.fastPath, stages: d.stages, counters: this.counters, idempotencyWindow: d.idempotencyWindow });
    this.admin = new AdminRoutes(d);
    this.server = createServer(
      { keepAliveTimeout: d.cfg.keepAliveTimeoutMs, requestTimeout: d.cfg.requestTimeoutMs, connectionsCheckingInterval: d.cfg.checkIntervalMs },
      (req, res) => this.route(req, res),
    );
    // A client's FIN does not abort what it sent before: its answers still go out, then the
    // connection closes (as the fast lane does).
    (this.server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    this.fastLane =
      d.fastLane === false
        ? null
        : FastLane.install(this.server, {
            auth: d.auth,
            counters: this.counters,
            v3: this.v3,
            orders: d.orders?.entry,
            maxBodyBytes: d.cfg.maxBodyBytes,
            keepAliveTimeoutMs: d.cfg.keepAliveTimeoutMs,
            requestTimeoutMs: d.cfg.requestTimeoutMs,
            checkIntervalMs: d.cfg.checkIntervalMs,
          });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: TrackedSocket) => this.clientError(err, socket));
  }

  /**
   * llhttp refused the bytes (or a timeout or size limit hit): a protocol error, answered once
   * every answer due before it has been written, then the connection closes.
   */
  private clientError(err: NodeJS.ErrnoException, socket: TrackedSocket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.counters.protocolErrors++;
    this.d.log.debug({ code: err.code }, 'malformed HTTP request');
    socket[kError] = protocolError(err.code);
    flushError(socket);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    this.counters.requests++;
    const s = req.socket as TrackedSocket;
    s[kDue] = (s[kDue] ?? 0) + 1;
    (res as ServerResponse & { [kSocket]?: TrackedSocket })[kSocket] = s;
    res.once('close', onResponseDone);
    const url = req.url ?? '/';
    const method = req.method;
    const cors = this.d.cors;
    if (cors !== undefined) {
      // browsers' requests: the fast lane hands every request with an Origin to node:http
      if (req.headers.origin !== undefined) applyCors(cors, req, res);
      if (method === 'OPTIONS') return answerPreflight(cors, req, res);
    }
    if (url === '/v3/orders') {
      if (method !== 'POST') return this.methodNotAllowed(res, 'POST');
      const problem = precheck(req, this.d.cfg.maxBodyBytes);
      if (problem !== null) return this.badRequest(res, problem === 'PAYLOAD_TOO_LARGE' ? 413 : 415, problem, undefined, true);
      return readBody(req, res, this.d.cfg.maxBodyBytes, t0, this.onV3Body);
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/v3/orders/') && this.d.confirm !== undefined) {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      return this.v3Status(req, res, path.slice('/v3/orders/'.length));
    }
    if (this.d.sse !== undefined && this.d.sse.route(req, res, path, url, method)) return;
    if (this.d.orders !== undefined && this.d.orders.routes.route(req, res, path, url, method, t0)) return;
    if (path === '/health' || path === '/health/live') {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      return this.health(res, path === '/health/live');
    }
    if (path === '/metrics') {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      this.d.metrics.text().then(
        (text) => {
          res.writeHead(200, ['content-type', this.d.metrics.contentType, 'content-length', String(Buffer.byteLength(text))]);
          res.end(text);
        },
        (err: unknown) => {
          this.d.log.error({ err }, 'metrics collection failed');
          sendError(res, 500, 'INTERNAL_ERROR');
        },
      );
      return;
    }
    if (path.startsWith('/admin/')) return this.admin.route(req, res, path, method ?? 'GET');
    if (this.d.mounted !== undefined && this.d.mounted.route(req, res, path, url, method)) return;
    if (path === FEED_PATH && this.d.feed !== undefined) return this.d.feed.handle(req, res, method);
    sendError(res, 404, 'NOT_FOUND');
  }

  /**
   * `/health` is readiness for orders: 200 `OK`, or 503 `UNAVAILABLE` with the reason when new
   * orders cannot be taken. `/health/live` is liveness: 200 whenever the process answers.
   */
  private health(res: ServerResponse, live: boolean): void {
    const h = this.d.health();
    if (live) return sendValue(res, 200, { status: 'LIVE', ready: h.ready });
    if (h.ready) return sendValue(res, 200, { status: 'OK', ...h.fields });
    sendValue(res, 503, { status: 'UNAVAILABLE', reason: h.reason, ...h.fields });
  }

  // ---- GET /v3/orders/{sessionId}/{sessionSeq} ----------------------------------------------

  private v3Status(req: IncomingMessage, res: ServerResponse, rest: string): void {
    const slash = rest.indexOf('/');
    let sessionId: string;
    try {
      sessionId = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    } catch {
      return sendError(res, 404, 'NOT_FOUND');
    }
    const seqText = slash < 0 ? '' : rest.slice(slash + 1);
    if (sessionId === '' || seqText.includes('/')) return sendError(res, 404, 'NOT_FOUND');
    const seq = /^[0-9]{1,15}$/.test(seqText) ? Number(seqText) : -1;
    const answer = (p: Principal | AuthFailure | null): void => {
      if (p === null) return sendError(res, 500, 'INTERNAL_ERROR');
      if (p instanceof AuthFailure) {
        this.counters.authFailures++;
        return sendError(res, 401, p.error);
      }
      if (p.sessionId !== sessionId) return sendError(res, 403, 'forbidden');
      if (!(seq >= 1)) {
        this.counters.badRequests++;
        return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY', 'sessionSeq must be an integer >= 1'));
      }
      // No order known under this number: 404, with the original's body fields (status UNKNOWN,
      // updatedAtNs, shardId) plus the reason, in words, and where this run's numbering starts.
      const view = this.d.confirm!.status(sessionId, seq);
      sendJsonUtf8(res, view.status === 'UNKNOWN' ? 404 : 200, Confirmations.json(view));
    };
    const p = this.d.auth.resolve(header(req, 'authorization'), answer, null);
    if (p !== undefined) answer(p);
  }

  private methodNotAllowed(res: ServerResponse, allow: string): void {
    res.setHeader('allow', allow);
    sendError(res, 405, 'METHOD_NOT_ALLOWED');
  }

  private badRequest(res: ServerResponse, status: number, reason: Reason, message?: string, close = false): void {
    this.counters.badRequests++;
    this.d.fastPath.reject(reason);
    this.d.log.debug({ status, reason, message }, 'request rejected');
    if (close) res.shouldKeepAlive = false;
    sendJson(res, status, rejectBody('REJECTED', reason, message));
  }

  // ---- POST /v3/orders (connections the fast lane handed over, or with the lane off) -----------

  private v3Body(req: BodyRequest, res: ServerResponse, body: string): void {
    if (body === OVERSIZE) return this.badRequest(res, 413, 'PAYLOAD_TOO_LARGE', undefined, true);
    const r: V3Pending = { http: this, res, key: header(req, 'idempotency-key'), body, t0: req._sy_t0 };
    const p = this.d.auth.resolve(header(req, 'authorization'), onV3Principal, r);
    if (p !== undefined) this.v3Answer(p, r);
  }

  v3Answer(p: Principal | AuthFailure | null, r: V3Pending): void {
    const a = this.v3.answerOrFail(p, r.key, r.body, r.t0);
    sendReply(r.res, a.status, a.body, a.ascii, a.replayed);
  }

  get idempotencyEntries(): number {
    return this.v3.idem.size;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops accepting connections and lets in-flight requests finish (at most the grace period). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.closeAllConnections();
        this.fastLane?.closeAll();
      }, this.d.cfg.shutdownGraceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.d.feed?.closeAll();
      this.server.closeIdleConnections();
      this.fastLane?.close();
    });
  }
}

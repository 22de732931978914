/**
 * HTTP/1.1 transport: routes requests, authenticates, reads and decodes bodies, and translates
 * domain results to status codes and JSON. No domain state lives here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import type { Reason } from '../../contract/reasons.js';
import type { FastPath } from '../../fastpath/fast-path.js';
import { Confirmations } from '../../confirmation/confirmations.js';
import type { LatencyHistogram } from '../../lib/latency.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { AdminRoutes } from './admin.js';
import { type BodyRequest, header, OVERSIZE, precheck, readBody } from './body.js';
import { FastLane, type OrdersLaneEndpoint } from './fast-lane.js';
import { rejectBody, sendError, sendJson, sendJsonUtf8, sendReply, sendValue } from './respond.js';
import { type V3Reply, V3OrderEntry } from './v3-entry.js';

/** Idle keep-alive connections are closed after this (node:http and the fast lane alike). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** A request must be complete this long after it began (408 otherwise). */
const REQUEST_TIMEOUT_MS = 30_000;

function writeV3Reply(r: V3Reply, res: ServerResponse): void {
  sendReply(res, r.status, r.body, r.ascii, r.replayed);
}

export interface HttpStages {
  /** every order-route answer after the request arrived, all outcomes */
  ack: LatencyHistogram;
  /** /v3 answers given after authentication, all outcomes */
  v3LiveAck: LatencyHistogram;
  /** /v3 accepted answers only */
  v3LiveAckAccepted: LatencyHistogram;
  parse: LatencyHistogram;
  serialize: LatencyHistogram;
}

export interface HttpDeps {
  log: Logger;
  auth: Authenticator;
  fastPath: FastPath;
  /** durable confirmation of /v3 orders (GET /v3/orders/{sessionId}/{sessionSeq}) */
  confirm?: Confirmations;
  metrics: MetricsRegistry;
  stages: HttpStages;
  maxBodyBytes: number;
  idempotencyWindow: number;
  /** extra fields for /health */
  health: () => Record<string, unknown>;
  resetMetrics: () => void;
  /** serve POST /v3/orders and POST /orders through the fast lane (fast-lane.ts); default true */
  fastLane?: boolean;
  /** routes of the durable path (/orders, /accounts, /audit) */
  orders?: OrdersLaneEndpoint & {
    /** handles a durable-path route; false for other paths */
    route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined, t0: number): boolean;
  };
}

export class HttpCounters {
  requests = 0;
  authFailures = 0;
  badRequests = 0;
  idempotentReplays = 0;
  idempotencyConflicts = 0;
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
    this.v3 = new V3OrderEntry({ log: d.log, auth: d.auth, fastPath: d.fastPath, stages: d.stages, counters: this.counters, idempotencyWindow: d.idempotencyWindow });
    this.admin = new AdminRoutes(d);
    this.server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => this.route(req, res));
    this.fastLane =
      d.fastLane === false
        ? null
        : FastLane.install(this.server, { log: d.log, auth: d.auth, counters: this.counters, entry: this.v3, orders: d.orders, maxBodyBytes: d.maxBodyBytes, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const body = rejectBody('REJECTED', 'INVALID_JSON', 'malformed HTTP request');
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    this.counters.requests++;
    const url = req.url ?? '/';
    const method = req.method;
    if (url === '/v3/orders') {
      if (method !== 'POST') return this.methodNotAllowed(res, 'POST');
      const problem = precheck(req, this.d.maxBodyBytes);
      if (problem !== null) return this.badRequest(res, problem === 'PAYLOAD_TOO_LARGE' ? 413 : 415, problem, undefined, true);
      return readBody(req, res, this.d.maxBodyBytes, t0, this.onV3Body);
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/v3/orders/') && this.d.confirm !== undefined) {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      return this.v3Status(req, res, path.slice('/v3/orders/'.length));
    }
    if (this.d.orders !== undefined && this.d.orders.route(req, res, path, url, method, t0)) return;
    if (path === '/health') {
      if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
      return sendValue(res, 200, { status: 'OK', ...this.d.health() });
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
    sendError(res, 404, 'NOT_FOUND');
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
    const answer = (p: Principal | AuthFailure): void => {
      if (p instanceof AuthFailure) {
        this.counters.authFailures++;
        return sendError(res, 401, p.error);
      }
      if (p.sessionId !== sessionId) return sendError(res, 403, 'forbidden');
      if (!(seq >= 1)) {
        this.counters.badRequests++;
        return sendJson(res, 400, rejectBody('REJECTED', 'INVALID_QUERY', 'sessionSeq must be an integer >= 1'));
      }
      sendJsonUtf8(res, 200, Confirmations.json(this.d.confirm!.status(sessionId, seq)));
    };
    const authorization = header(req as BodyRequest, 'authorization');
    const cached = this.d.auth.cached(authorization);
    if (cached !== undefined) return answer(cached);
    this.d.auth.verify(authorization).then(answer, (err: unknown) => {
      this.d.log.error({ err }, 'token verification failed unexpectedly');
      sendError(res, 500, 'INTERNAL_ERROR');
    });
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
    const r = this.v3.handle(header(req, 'authorization'), header(req, 'idempotency-key'), body, req._sy_t0, writeV3Reply, res);
    if (r !== undefined) writeV3Reply(r, res);
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

  /** Stops accepting connections and lets in-flight requests finish. */
  close(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.closeAllConnections();
        this.fastLane?.closeAll();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
      this.fastLane?.close();
    });
  }
}

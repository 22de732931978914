/**
 * The console's HTTP routes, mounted on the gateway's HTTP transport:
 *
 *   GET  /console, /console/...        the built front end (assets.ts)
 *   POST /console/api/session          Bearer token → {accountId, isAdmin, ticket, ...}
 *   GET  /console/stream?ticket=...    the live stream (stream.ts), opened with a one-time ticket
 *   GET  /console/api/backoffice/positions|pnl|health
 *                                      the back office's answer, passed through with the caller's
 *                                      token; 502 BACKOFFICE_UNREACHABLE when it cannot be reached
 *
 * Everything else the console does goes to the gateway's own routes with the caller's token
 * (orders, events, audit, admin kill switches): the server checks roles there, not here.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure } from '../auth/authenticator.js';
import type { ConsoleConfig } from '../config/console.js';
import { sendError, sendValue } from '../transport/http/respond.js';
import { type ConsoleAssets } from './assets.js';
import { ConsoleStream } from './stream.js';
import type { ConsoleSources } from './sources.js';
import { Tickets } from './tickets.js';

/** How long the back office gets to answer a console request. */
const BACKOFFICE_TIMEOUT_MS = 3000;
const BACKOFFICE_PATHS = new Set(['positions', 'pnl', 'health']);

export interface ConsoleDeps {
  log: Logger;
  auth: Authenticator;
  cfg: ConsoleConfig;
  assets: ConsoleAssets;
  sources: ConsoleSources;
  nowMs?: () => number;
}

export class ConsoleRoutes {
  readonly stream: ConsoleStream;
  private readonly tickets: Tickets;

  constructor(private readonly d: ConsoleDeps) {
    const now = d.nowMs ?? Date.now;
    this.tickets = new Tickets(d.cfg.ticketTtlMs, now, () => randomBytes(24).toString('base64url'));
    this.stream = new ConsoleStream(d.sources, d.cfg.intervalMs, d.cfg.maxClients, now);
  }

  /** Answers the request if it is a console path; false otherwise. */
  route(req: IncomingMessage, res: ServerResponse, path: string, url: string, method: string | undefined): boolean {
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (path === '/console/api/session') {
      if (method !== 'POST') return this.notAllowed(res, 'POST');
      req.resume();
      this.session(req, res);
      return true;
    }
    if (path === '/console/stream') {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      this.openStream(res, url);
      return true;
    }
    if (path.startsWith('/console/api/backoffice/')) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      this.backoffice(req, res, path.slice('/console/api/backoffice/'.length), url);
      return true;
    }
    if (path.startsWith('/console/api/')) {
      sendError(res, 404, 'NOT_FOUND');
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return this.notAllowed(res, 'GET, HEAD');
    if (path === '/console') {
      res.writeHead(308, { location: '/console/', 'content-length': '0' });
      res.end();
      return true;
    }
    this.asset(req, res, path.slice('/console/'.length), method === 'HEAD');
    return true;
  }

  close(): void {
    this.stream.close();
  }

  private notAllowed(res: ServerResponse, allow: string): true {
    res.setHeader('allow', allow);
    sendError(res, 405, 'METHOD_NOT_ALLOWED');
    return true;
  }

  private asset(req: IncomingMessage, res: ServerResponse, rest: string, head: boolean): void {
    if (!this.d.assets.built) return sendError(res, 503, 'CONSOLE_NOT_BUILT');
    const a = this.d.assets.lookup(rest);
    if (a === 'bad') return sendError(res, 400, 'BAD_PATH');
    if (a === null) return sendError(res, 404, 'NOT_FOUND');
    const headers = {
      'content-type': a.contentType,
      'cache-control': a.cacheControl,
      etag: a.etag,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(a.body.length) });
    res.end(head ? undefined : a.body);
  }

  private session(req: IncomingMessage, res: ServerResponse): void {
    this.d.auth.verify(req.headers.authorization).then(
      (p) => {
        if (p instanceof AuthFailure) return sendError(res, 401, p.error);
        const ticket = this.tickets.issue({ accountId: p.accountId, isAdmin: p.isAdmin, expMs: p.expMs });
        sendValue(res, 200, {
          accountId: p.accountId,
          isAdmin: p.isAdmin,
          roles: p.roles,
          expMs: p.expMs,
          ticket,
          ticketTtlMs: this.d.cfg.ticketTtlMs,
          intervalMs: this.d.cfg.intervalMs,
        });
      },
      (err: unknown) => {
        this.d.log.error({ err }, 'console: token verification failed unexpectedly');
        sendError(res, 500, 'INTERNAL_ERROR');
      },
    );
  }

  private openStream(res: ServerResponse, url: string): void {
    const q = url.indexOf('?');
    const ticket = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('ticket');
    if (ticket === null || ticket === '') return sendError(res, 401, 'TICKET_REQUIRED');
    const holder = this.tickets.redeem(ticket);
    if (holder === null) return sendError(res, 401, 'TICKET_INVALID');
    if (this.stream.full) return sendError(res, 503, 'CONSOLE_FULL');
    this.stream.open(res, holder);
  }

  private backoffice(req: IncomingMessage, res: ServerResponse, what: string, url: string): void {
    if (!BACKOFFICE_PATHS.has(what)) return sendError(res, 404, 'NOT_FOUND');
    this.d.auth.verify(req.headers.authorization).then(
      (p) => {
        if (p instanceof AuthFailure) return sendError(res, 401, p.error);
        this.forward(req, res, what, url);
      },
      () => sendError(res, 500, 'INTERNAL_ERROR'),
    );
  }

  private forward(req: IncomingMessage, res: ServerResponse, what: string, url: string): void {
    const q = url.indexOf('?');
    const query = q < 0 ? '' : url.slice(q);
    const headers: Record<string, string> = {};
    if (req.headers.authorization !== undefined) headers.authorization = req.headers.authorization;
    fetch(`${this.d.cfg.backofficeUrl}/${what}${query}`, { headers, signal: AbortSignal.timeout(BACKOFFICE_TIMEOUT_MS) }).then(
      async (r) => {
        const body = await r.text();
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      },
      (err: unknown) => {
        this.d.log.debug({ err: (err as Error).message, url: this.d.cfg.backofficeUrl }, 'console: back office not reachable');
        sendValue(res, 502, { error: 'BACKOFFICE_UNREACHABLE', url: this.d.cfg.backofficeUrl });
      },
    );
  }
}

/**
 * `GET /events/feed` (admin token): every event of the gateway as Server-Sent Events — what the
 * back office follows with BUS_KIND=none (backoffice/input/feed.ts).
 *
 *   Authorization: Bearer <JWT with roles ["admin"]>
 *   Last-Event-ID: <last event id the follower has, per stream, comma-separated>  (absent: from the start)
 *   → 200 text/event-stream: `id: <event id>` + `data: <bus_event_v1 JSON>` per event (replay from
 *     the journals after the cursor, then live), `: keep-alive` comments every FEED_KEEPALIVE_MS
 *   → 401 (reason code of the token), 403 `forbidden` (not admin), 405 (not GET)
 *
 * The replay/live hand-over is bus/feed.ts. Connections are closed at shutdown ({@link closeAll}).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, AuthFailure, type Principal } from '../../auth/authenticator.js';
import { FeedSession, keepAliveComment } from '../../bus/feed.js';
import type { EventHub } from '../../bus/hub.js';
import type { HubPosition } from '../../bus/feed.js';
import type { JournalSource } from '../../bus/relay.js';
import { sendError } from './respond.js';

export const FEED_PATH = '/events/feed';
/** Keep-alive comment period (the back office reconnects after 45 s of silence by default). */
export const FEED_KEEPALIVE_MS = 15_000;

export interface EventsFeedDeps {
  log: Logger;
  auth: Authenticator;
  gatewayId: string;
  sources: readonly JournalSource[];
  hub: EventHub;
  relay: HubPosition;
}

interface FeedPending {
  feed: EventsFeed;
  req: IncomingMessage;
  res: ServerResponse;
}

function onFeedPrincipal(p: Principal | AuthFailure | null, r: FeedPending): void {
  r.feed.resolved(p, r.req, r.res);
}

export class EventsFeed {
  private readonly open = new Set<{ res: ServerResponse; session: FeedSession }>();
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly d: EventsFeedDeps) {}

  get connections(): number {
    return this.open.size;
  }

  handle(req: IncomingMessage, res: ServerResponse, method: string | undefined): void {
    if (method !== 'GET') {
      res.setHeader('allow', 'GET');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED');
    }
    const r: FeedPending = { feed: this, req, res };
    const p = this.d.auth.resolve(req.headers.authorization, onFeedPrincipal, r);
    if (p !== undefined) this.resolved(p, req, res);
  }

  resolved(p: Principal | AuthFailure | null, req: IncomingMessage, res: ServerResponse): void {
    if (p === null) return sendError(res, 500, 'INTERNAL_ERROR');
    if (p instanceof AuthFailure) return sendError(res, 401, p.error);
    if (!p.isAdmin) return sendError(res, 403, 'forbidden');
    const cursor = String(req.headers['last-event-id'] ?? '');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(':ok\n\n');
    req.socket.setNoDelay(true);
    const session = new FeedSession(this.d.gatewayId, this.d.sources, this.d.hub, this.d.relay, {
      send: (id, text) => {
        if (res.write(`id: ${id}\ndata: ${text}\n\n`)) return undefined;
        return new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      },
      onOverflow: () => {
        this.d.log.warn({ by: p.accountId }, 'event feed: follower too far behind; closing its connection (it resumes from its cursor)');
        res.destroy();
      },
    });
    const entry = { res, session };
    this.open.add(entry);
    res.once('close', () => {
      session.close();
      this.open.delete(entry);
    });
    this.d.log.info({ by: p.accountId, cursor }, 'event feed: follower connected');
    this.armKeepAlive();
    session.start(cursor).catch((err: unknown) => {
      this.d.log.error({ err }, 'event feed: replay failed; closing the connection');
      session.close();
      res.destroy();
    });
  }

  private armKeepAlive(): void {
    if (this.keepAlive !== null) return;
    this.keepAlive = setInterval(() => {
      if (this.open.size === 0) return;
      const text = keepAliveComment(Date.now());
      for (const c of this.open) c.res.write(text);
    }, FEED_KEEPALIVE_MS);
    this.keepAlive.unref();
  }

  /** Ends every feed connection (shutdown). */
  closeAll(): void {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
    for (const c of this.open) {
      c.session.close();
      c.res.end();
    }
    this.open.clear();
  }
}

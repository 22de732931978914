/**
 * A stand-in for the gateway's event feed (BUS_KIND=none), on a real HTTP socket, following the
 * protocol the back office expects:
 *
 *   GET /events/feed, Authorization: Bearer <admin JWT>, Last-Event-ID: <id per stream, comma-separated>
 *   → 200 text/event-stream; `id: <eventId>` + `data: <json>` per event; `:` keep-alives
 *
 * It resends from the given positions inclusive (the last applied event of each stream comes again,
 * as a redelivery), then streams events pushed later. Knobs: drop the connection after N events,
 * answer 401, or go silent (no keep-alives).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthFailure, Authenticator } from '../../../src/auth/authenticator.js';
import { comparePositions, type EventPosition, parseEventId } from '../../../src/backoffice/domain/event-id.js';
import type { Recorded } from '../../unit/backoffice/fixtures.js';

interface Entry {
  id: string;
  pos: EventPosition | null;
  data: string;
}

export class FakeFeed {
  readonly entries: Entry[] = [];
  readonly requests: Array<{ lastEventId: string | null; status: number }> = [];
  mode: 'ok' | 'unauthorized' | 'silent' = 'ok';
  /** close each connection after sending this many events (null: never) */
  dropAfter: number | null = null;
  private readonly live = new Set<{ res: ServerResponse; sent: number }>();
  private server: Server | null = null;
  private readonly auth: Authenticator;
  private keepAlive: NodeJS.Timeout | null = null;
  url = '';

  constructor(secret: string) {
    this.auth = new Authenticator({ secret, issuer: undefined, audience: undefined, clockSkewSec: 30, cacheSize: 100 });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.keepAlive = setInterval(() => {
      if (this.mode === 'silent') return;
      for (const c of this.live) c.res.write(':\n\n');
    }, 100);
  }

  /** Adds events to the journal and streams them to the open connections. */
  push(...records: Array<Recorded | { id: string; raw: string }>): void {
    for (const r of records) {
      const e: Entry = { id: r.id, pos: parseEventId(r.id), data: 'raw' in r ? r.raw : JSON.stringify(r.event) };
      this.entries.push(e);
      for (const c of [...this.live]) this.send(c, e);
    }
  }

  /** Closes the open connections (the client reconnects). */
  dropAll(): void {
    for (const c of this.live) c.res.destroy();
    this.live.clear();
  }

  private send(c: { res: ServerResponse; sent: number }, e: Entry): void {
    if (!this.live.has(c)) return;
    c.res.write(`id: ${e.id}\ndata: ${e.data}\n\n`);
    c.sent++;
    if (this.dropAfter !== null && c.sent >= this.dropAfter) {
      this.live.delete(c);
      c.res.end();
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const lastEventId = (req.headers['last-event-id'] as string | undefined) ?? null;
    if (req.url !== '/events/feed') {
      this.requests.push({ lastEventId, status: 404 });
      res.writeHead(404).end();
      return;
    }
    const p = await this.auth.verify(req.headers.authorization);
    if (this.mode === 'unauthorized' || p instanceof AuthFailure || !p.isAdmin) {
      this.requests.push({ lastEventId, status: 401 });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"InvalidJwtSignature"}');
      return;
    }
    this.requests.push({ lastEventId, status: 200 });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(':ok\n\n');
    const from = new Map<string, EventPosition>();
    for (const id of (lastEventId ?? '').split(',')) {
      const pos = parseEventId(id.trim());
      if (pos !== null) from.set(`${pos.gatewayId}.${pos.stream}`, pos);
    }
    const c = { res, sent: 0 };
    this.live.add(c);
    res.on('close', () => this.live.delete(c));
    for (const e of this.entries) {
      const start = e.pos === null ? undefined : from.get(`${e.pos.gatewayId}.${e.pos.stream}`);
      if (start !== undefined && comparePositions(e.pos!, start) < 0) continue;
      this.send(c, e);
    }
  }

  async stop(): Promise<void> {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.dropAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

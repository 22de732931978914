/**
 * SSE streams over real sockets, fed by publishing into an EventHub directly (no journal, no
 * orders): routes, authentication, live delivery, Last-Event-ID replay, resync_required, account
 * isolation, caps, keep-alives, slow clients and shutdown. The gateway end to end, with events of
 * real orders, is in gateway-sse.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Authenticator } from '../../../src/auth/authenticator.js';
import { EventHub, hubEvent } from '../../../src/bus/hub.js';
import { loadCorsConfig, loadSseConfig } from '../../../src/config/sse.js';
import { rfc3339, validateBusEvent } from '../../../src/contract/bus-event.js';
import { createLogger } from '../../../src/lib/logger.js';
import { answerPreflight, applyCors } from '../../../src/transport/http/cors.js';
import { sendError } from '../../../src/transport/http/respond.js';
import { SseRoutes } from '../../../src/transport/sse/routes.js';
import { SseStreams } from '../../../src/transport/sse/streams.js';
import { SECRET, token } from '../../helpers/gateway.js';
import { SseClient } from '../../helpers/sse.js';

interface Harness {
  server: Server;
  base: string;
  hub: EventHub;
  streams: SseStreams;
  seq: number;
  publish(accountId: string, orderId: string, type?: string, data?: Record<string, unknown>): string;
  close(): Promise<void>;
}

async function harness(env: Record<string, string> = {}, owners: Record<string, string> = {}): Promise<Harness> {
  const log = createLogger('silent');
  const auth = new Authenticator({ secret: SECRET, issuer: undefined, audience: undefined, clockSkewSec: 30, cacheSize: 100 });
  const hub = new EventHub();
  const streams = new SseStreams(loadSseConfig(env), hub, log);
  const cors = loadCorsConfig(env);
  const routes = new SseRoutes({ log, auth, streams, owners: { ownerOf: (id) => owners[id] }, counters: { authFailures: 0 } });
  const server = createServer((req, res) => {
    if (req.headers.origin !== undefined) applyCors(cors, req, res);
    if (req.method === 'OPTIONS') return answerPreflight(cors, req, res);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if (!routes.route(req, res, q < 0 ? url : url.slice(0, q), url, req.method)) sendError(res, 404, 'NOT_FOUND');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  streams.start();
  const h: Harness = {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hub,
    streams,
    seq: 0,
    publish(accountId, orderId, type = 'OrderAccepted', data = {}) {
      const id = `gw1.orders.${++h.seq}`;
      hub.publish(hubEvent(id, { type, at: rfc3339(1_700_000_000_000 + h.seq), accountId, orderId, data }));
      return id;
    },
    async close() {
      streams.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return h;
}

const bearer = async (account: string, roles?: string[]) => ({ authorization: `Bearer ${await token(account, { roles })}` });

describe('SSE streams (hub published directly)', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ SSE_BUFFER_SIZE: '4', SSE_MAX_STREAMS_PER_ACCOUNT: '3', SSE_MAX_STREAMS: '6' }, { 'ord-B': 'B', 'ord-A': 'A' });
  });
  after(() => h.close());

  it('delivers the account\'s events live, named and framed, and nothing of other accounts', async () => {
    const a = await SseClient.open(h.base, '/stream', await bearer('A'));
    const b = await SseClient.open(h.base, '/stream', await bearer('B'));
    assert.equal(a.status, 200);
    assert.equal(a.res.headers['content-type'], 'text/event-stream');
    assert.equal(a.res.headers['cache-control'], 'no-cache');
    const id1 = h.publish('A', 'ord-A', 'OrderAccepted', { qty: 1 });
    h.publish('B', 'ord-B', 'OrderAccepted');
    const id3 = h.publish('A', 'ord-A', 'OrderSent', { venue: 'sim' });
    const id4 = h.publish('A', 'ord-A', 'ExecutionReport', { cumQty: 1 });
    const evs = await a.waitEvents(3);
    await b.waitEvents(1);
    assert.deepEqual(evs.map((e) => [e.id, e.event]), [[id1, 'order_durable'], [id3, 'order_update'], [id4, 'execution_report']]);
    for (const e of evs) {
      const body: unknown = JSON.parse(e.data);
      assert.ok(validateBusEvent(body), JSON.stringify(validateBusEvent.errors));
      assert.equal((body as { accountId: string }).accountId, 'A');
    }
    assert.deepEqual(JSON.parse(evs[0]!.data).data, { qty: 1 });
    assert.equal(b.events.length, 1);
    assert.equal(JSON.parse(b.events[0]!.data).accountId, 'B');
    a.close();
    b.close();
  });

  it('replays what a reconnecting client missed after its Last-Event-ID, then goes live', async () => {
    const ids = [h.publish('C', 'o1'), h.publish('C', 'o2'), h.publish('C', 'o3')];
    const c = await SseClient.open(h.base, '/stream', { ...(await bearer('C')), 'last-event-id': ids[0]! });
    await c.waitEvents(2);
    const live = h.publish('C', 'o4');
    await c.waitEvents(3);
    assert.deepEqual(c.events.map((e) => e.id), [ids[1], ids[2], live]);
    c.close();
  });

  it('answers resync_required (pointing at the events endpoint) when the id is older than the buffer or unknown', async () => {
    const first = h.publish('D', 'o1');
    for (let i = 0; i < 5; i++) h.publish('D', 'o1'); // buffer size 4: `first` is gone
    const d = await SseClient.open(h.base, '/stream', { ...(await bearer('D')), 'last-event-id': first });
    await d.waitEvents(1);
    assert.equal(d.events[0]!.event, 'resync_required');
    assert.equal(d.events[0]!.id, undefined);
    const data = JSON.parse(d.events[0]!.data);
    assert.equal(data.eventsEndpoint, '/accounts/D/events');
    assert.equal(data.lastEventId, first);
    assert.equal(data.scope, 'account');
    assert.equal(data.oldestAvailableId, `gw1.orders.${h.seq - 3}`);
    const live = h.publish('D', 'o1');
    await d.waitEvents(2);
    assert.equal(d.events[1]!.id, live);
    d.close();
    const u = await SseClient.open(h.base, '/orders/o1/stream', { ...(await bearer('D')), 'last-event-id': 'other.gw.1' });
    await u.waitEvents(1);
    assert.equal(u.events[0]!.event, 'resync_required');
    assert.equal(JSON.parse(u.events[0]!.data).eventsEndpoint, '/orders/o1/events');
    u.close();
  });

  it('an order stream carries that order\'s events only; another account\'s order is 404', async () => {
    const o = await SseClient.open(h.base, '/orders/ord-A/stream', await bearer('A'));
    assert.equal(o.status, 200);
    h.publish('A', 'ord-other');
    const mine = h.publish('A', 'ord-A', 'OrderUpdated');
    await o.waitEvents(1);
    assert.deepEqual(o.events.map((e) => [e.id, e.event]), [[mine, 'order_update']]);
    o.close();
    const theirs = await SseClient.open(h.base, '/orders/ord-B/stream', await bearer('A'));
    assert.equal(theirs.status, 404);
    assert.equal(await theirs.body(), '{"error":"NOT_FOUND"}');
    // an order id the gateway does not know streams, but only the caller's own events
    const unknown = await SseClient.open(h.base, '/orders/ord-X/stream', await bearer('A'));
    assert.equal(unknown.status, 200);
    h.publish('B', 'ord-X');
    const own = h.publish('A', 'ord-X');
    await unknown.waitEvents(1);
    assert.deepEqual(unknown.events.map((e) => e.id), [own]);
    unknown.close();
  });

  it('authenticates by header or access_token; admin-only scopes are refused to others', async () => {
    const none = await SseClient.open(h.base, '/stream');
    assert.equal(none.status, 401);
    assert.equal(await none.body(), '{"error":"MissingBearerToken"}');
    const viaQuery = await SseClient.open(h.base, `/stream?access_token=${await token('E')}`);
    assert.equal(viaQuery.status, 200);
    viaQuery.close();
    const all = await SseClient.open(h.base, '/stream?all=1', await bearer('E'));
    assert.equal(all.status, 403);
    const other = await SseClient.open(h.base, '/stream?accountId=A', await bearer('E'));
    assert.equal(other.status, 403);
    const post = await fetch(`${h.base}/stream`, { method: 'POST', headers: await bearer('E') });
    assert.equal(post.status, 405);
    const admin = await SseClient.open(h.base, '/stream?all=1', await bearer('ops', ['admin']));
    assert.equal(admin.status, 200);
    const x = h.publish('X', 'o');
    const y = h.publish('Y', 'o');
    await admin.waitEvents(2);
    assert.deepEqual(admin.events.map((e) => e.id), [x, y]);
    admin.close();
  });

  it('caps streams per account (429 with Retry-After) and in all (503), with stable reasons', async () => {
    await waitFor(() => h.streams.open === 0);
    const hdr = await bearer('F');
    const mine = await Promise.all([1, 2, 3].map(() => SseClient.open(h.base, '/stream', hdr)));
    assert.deepEqual(mine.map((c) => c.status), [200, 200, 200]);
    const fourth = await SseClient.open(h.base, '/stream', hdr);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.res.headers['retry-after'], '5');
    assert.equal(await fourth.body(), '{"error":"SSE_TOO_MANY_STREAMS"}');
    const others = await Promise.all(['G', 'G', 'G'].map(async (a) => SseClient.open(h.base, '/stream', await bearer(a))));
    assert.deepEqual(others.map((c) => c.status), [200, 200, 200]);
    const full = await SseClient.open(h.base, '/stream', await bearer('H'));
    assert.equal(full.status, 503);
    assert.equal(await full.body(), '{"error":"SSE_CAPACITY_EXHAUSTED"}');
    // a closed stream frees its place
    mine[0]!.close();
    await waitFor(() => h.streams.open === 5);
    const again = await SseClient.open(h.base, '/stream', hdr);
    assert.equal(again.status, 200);
    for (const c of [...mine, ...others, again]) c.close();
    await waitFor(() => h.streams.open === 0);
  });

  it('answers CORS preflights and puts CORS headers on streams', async () => {
    const pre = await fetch(`${h.base}/stream`, { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, last-event-id' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization, last-event-id');
    const s = await SseClient.open(h.base, '/stream', { ...(await bearer('A')), origin: 'http://app.example' });
    assert.equal(s.res.headers['access-control-allow-origin'], '*');
    s.close();
  });
});

describe('SSE keep-alives, slow clients, shutdown', () => {
  it('writes :keepalive to an idle stream', async () => {
    const h = await harness({ SSE_KEEPALIVE_SEC: '0.05' });
    try {
      const c = await SseClient.open(h.base, '/stream', await bearer('A'));
      await c.until(() => c.comments.includes('keepalive'));
      c.close();
    } finally {
      await h.close();
    }
  });

  it('closes a stream whose client does not read once its unsent bytes pass the bound, and keeps serving others', async () => {
    const h = await harness({ SSE_MAX_WRITE_BUFFER_BYTES: '65536' });
    try {
      const slow = await SseClient.open(h.base, '/stream', await bearer('A'));
      slow.res.pause(); // reads nothing more
      const fast = await SseClient.open(h.base, '/stream', await bearer('A'));
      const pad = 'x'.repeat(4000);
      // far beyond the socket buffers and the bound, in batches with a turn of the event loop
      // between them (as the journal tail delivers); stops once the server gave up on `slow`
      for (let i = 0; i < 1000 && h.streams.counters.slowClientDrops === 0; i++) {
        for (let j = 0; j < 8; j++) h.publish('A', 'o', 'OrderUpdated', { pad });
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(h.streams.counters.slowClientDrops, 1);
      const n = h.seq;
      await fast.waitEvents(n, 30_000);
      // the slow client, reading again, gets what was already on its way, then the end
      slow.res.resume();
      await slow.until(() => slow.ended);
      assert.ok(slow.events.length < n, `${slow.events.length} < ${n}`);
      assert.equal(h.streams.open, 1);
      fast.close();
    } finally {
      await h.close();
    }
  });

  it('shutdown ends every stream cleanly and refuses new ones with 503 SHUTTING_DOWN', async () => {
    const h = await harness();
    const cs = await Promise.all([1, 2, 3].map(async () => SseClient.open(h.base, '/stream', await bearer('A'))));
    h.publish('A', 'o');
    await Promise.all(cs.map((c) => c.waitEvents(1)));
    h.streams.close();
    await Promise.all(cs.map((c) => c.until(() => c.ended)));
    for (const c of cs) {
      assert.ok(c.comments.includes('shutdown'));
      assert.equal(c.res.complete, true, 'the chunked body ended properly, not cut');
    }
    const late = await SseClient.open(h.base, '/stream', await bearer('A'));
    assert.equal(late.status, 503);
    assert.equal(await late.body(), '{"error":"SHUTTING_DOWN"}');
    await h.close();
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

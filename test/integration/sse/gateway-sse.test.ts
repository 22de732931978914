/**
 * SSE on the real gateway with events of real orders (journal → tail → hub → streams): live
 * events of /orders and /v3 orders, execution reports from the embedded simulator on an order's
 * stream, replay after a reconnect with Last-Event-ID, resync_required, account isolation, and
 * 1,000 concurrent streams held while orders flow.
 *
 * Conditions are awaited, never timed; bounds are generous and only a broken gateway reaches them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateBusEvent } from '../../../src/contract/bus-event.js';
import { get, metrics, ORDER, post, type RunningGateway, startGateway, token } from '../../helpers/gateway.js';
import { type SseEvent, SseClient } from '../../helpers/sse.js';

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
const body = (e: SseEvent) => JSON.parse(e.data) as { type: string; accountId: string; orderId: string | null; data: Record<string, unknown> };

let seq = 0;
async function placeOrder(gw: RunningGateway, tok: string, over: Record<string, unknown> = {}): Promise<string> {
  const key = `sse-${process.pid}-${++seq}`;
  const r = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: key, ...over }, { 'idempotency-key': key });
  assert.ok(r.status === 200 || r.status === 202, r.text);
  return r.json.orderId as string;
}

describe('SSE on the gateway (no venue)', () => {
  let gw: RunningGateway;
  let tokA: string;
  let tokB: string;
  before(async () => {
    gw = await startGateway({ SSE_BUFFER_SIZE: '5' });
    tokA = await token('sse-A');
    tokB = await token('sse-B');
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('streams the caller\'s order_durable events live, bus_event_v1 in data, nothing of other accounts', async () => {
    const a = await SseClient.open(gw.base, '/stream', bearer(tokA));
    const b = await SseClient.open(gw.base, '/stream', bearer(tokB));
    assert.equal(a.status, 200);
    const oa = await placeOrder(gw, tokA);
    const ob = await placeOrder(gw, tokB);
    const v3 = await post(gw.base, '/v3/orders', tokA, { ...ORDER, clientOrderId: 'v3-sse' });
    assert.equal(v3.status, 202, v3.text);
    await a.until(() => a.events.some((e) => body(e).data.clientOrderId === 'v3-sse'), 30_000);
    await b.until(() => b.events.some((e) => body(e).orderId === ob), 30_000);
    for (const e of [...a.events, ...b.events]) {
      assert.ok(validateBusEvent(JSON.parse(e.data)), e.data);
      assert.match(e.id!, /^[^.]+\.(orders|v3-\d+)\.\d+(\.\d+)?$/);
    }
    assert.ok(a.events.every((e) => body(e).accountId === 'sse-A'));
    assert.ok(b.events.every((e) => body(e).accountId === 'sse-B'));
    const accepted = a.events.find((e) => body(e).orderId === oa)!;
    assert.equal(accepted.event, 'order_durable');
    assert.equal(body(accepted).type, 'OrderAccepted');
    // the order's stream: its own events only
    const os = await SseClient.open(gw.base, `/orders/${oa}/stream`, bearer(tokA));
    assert.equal(os.status, 200);
    const c = await post(gw.base, `/orders/${oa}/cancel`, tokA, {});
    assert.ok(c.status < 300, c.text);
    await placeOrder(gw, tokA);
    await os.until(() => os.events.some((e) => body(e).type === 'CancelRequested' || body(e).type === 'OrderUpdated'), 30_000);
    assert.ok(os.events.every((e) => body(e).orderId === oa && e.event === 'order_update'));
    // another account cannot follow it
    const theirs = await SseClient.open(gw.base, `/orders/${oa}/stream`, bearer(tokB));
    assert.equal(theirs.status, 404);
    for (const s of [a, b, os]) s.close();
  });

  it('replays what a reconnecting client missed after its Last-Event-ID, once each, then goes live', async () => {
    const tok = await token('sse-R');
    const s1 = await SseClient.open(gw.base, '/stream', bearer(tok));
    const first = await placeOrder(gw, tok);
    await s1.until(() => s1.events.some((e) => body(e).orderId === first), 30_000);
    const last = s1.events.at(-1)!.id!;
    s1.close();
    const missed = [await placeOrder(gw, tok), await placeOrder(gw, tok)];
    // they are journaled and delivered before the reconnect: the event feed shows them
    const s2 = await SseClient.open(gw.base, '/stream', { ...bearer(tok), 'last-event-id': last });
    await s2.until(() => missed.every((id) => s2.events.some((e) => body(e).orderId === id)), 30_000);
    const live = await placeOrder(gw, tok);
    await s2.until(() => s2.events.some((e) => body(e).orderId === live), 30_000);
    const ids = s2.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    assert.ok(!ids.includes(last));
    assert.deepEqual(s2.events.map((e) => body(e).orderId), [...missed, live]);
    s2.close();
  });

  it('answers resync_required when the Last-Event-ID is older than SSE_BUFFER_SIZE events', async () => {
    const tok = await token('sse-S');
    const s1 = await SseClient.open(gw.base, '/stream', bearer(tok));
    const o1 = await placeOrder(gw, tok);
    await s1.until(() => s1.events.some((e) => body(e).orderId === o1), 30_000);
    const old = s1.events[0]!.id!;
    const later: string[] = [];
    for (let i = 0; i < 6; i++) later.push(await placeOrder(gw, tok)); // buffer of 5
    await s1.until(() => s1.events.some((e) => body(e).orderId === later.at(-1)), 30_000);
    s1.close();
    const s2 = await SseClient.open(gw.base, '/stream', { ...bearer(tok), 'last-event-id': old });
    await s2.waitEvents(1, 30_000);
    assert.equal(s2.events[0]!.event, 'resync_required');
    const data = JSON.parse(s2.events[0]!.data);
    assert.deepEqual(Object.keys(data), ['eventsEndpoint', 'id', 'lastEventId', 'oldestAvailableId', 'scope']);
    assert.equal(data.eventsEndpoint, '/accounts/sse-S/events');
    assert.equal(data.lastEventId, old);
    // the endpoint it points at serves the state to re-read
    const ev = await get(gw.base, data.eventsEndpoint, tok);
    assert.equal(ev.status, 200);
    assert.ok(ev.json.events.length >= 7);
    s2.close();
    const m = await metrics(gw.base);
    assert.ok((m.get('gateway_sse_resync_required_total') ?? 0) >= 1);
  });
});

describe('SSE with the embedded venue', () => {
  it('an order\'s stream carries its order_durable, order_update and execution_report events', async () => {
    const gw = await startGateway({ SOR_VENUES: 'sim', VENUE_SIM_SEED: '7', VENUE_SIM_LATENCY_US: '50' });
    try {
      const tok = await token('sse-X');
      const acct = await SseClient.open(gw.base, '/stream', bearer(tok));
      const id = await placeOrder(gw, tok, { price: 15_100, qty: 80 }); // crosses: fills
      await acct.until(() => acct.events.some((e) => body(e).orderId === id && body(e).type === 'ExecutionReport' && body(e).data.status === 'FILLED'), 30_000);
      const names = acct.events.filter((e) => body(e).orderId === id).map((e) => [e.event, body(e).type]);
      assert.deepEqual(names[0], ['order_durable', 'OrderAccepted']);
      assert.ok(names.some(([n, t]) => n === 'order_update' && t === 'OrderSent'));
      assert.ok(names.some(([n]) => n === 'execution_report'));
      // the order's stream from its first event: everything after it, replayed
      const first = acct.events.find((e) => body(e).orderId === id)!.id!;
      const os = await SseClient.open(gw.base, `/orders/${id}/stream`, { ...bearer(tok), 'last-event-id': first });
      await os.waitEvents(names.length - 1, 30_000);
      assert.deepEqual(os.events.map((e) => [e.event, body(e).type]), names.slice(1));
      os.close();
      acct.close();
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });
});

describe('1,000 concurrent SSE streams', () => {
  it('holds them while orders flow; every stream gets exactly its account\'s events', async () => {
    const ACCOUNTS = 20;
    const PER_ACCOUNT = 50;
    const ORDERS_PER_ACCOUNT = 5;
    const gw = await startGateway({ SSE_MAX_STREAMS_PER_ACCOUNT: String(PER_ACCOUNT) });
    try {
      const toks = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => token(`load-${i}`)));
      const streams: Array<{ account: number; c: SseClient }> = [];
      for (let i = 0; i < ACCOUNTS; i++) {
        const opened = await Promise.all(Array.from({ length: PER_ACCOUNT }, () => SseClient.open(gw.base, '/stream', bearer(toks[i]!))));
        for (const c of opened) streams.push({ account: i, c });
      }
      assert.equal(streams.length, 1000);
      assert.ok(streams.every((s) => s.c.status === 200));
      const m0 = await metrics(gw.base);
      assert.equal(m0.get('gateway_sse_streams_open'), 1000);
      // the account cap holds at 1,000 open streams
      const over = await SseClient.open(gw.base, '/stream', bearer(toks[0]!));
      assert.equal(over.status, 429);
      // orders flow from every account, concurrently; every ack succeeds
      const placed: string[][] = Array.from({ length: ACCOUNTS }, () => []);
      await Promise.all(
        toks.map(async (tok, i) => {
          for (let k = 0; k < ORDERS_PER_ACCOUNT; k++) placed[i]!.push(await placeOrder(gw, tok));
        }),
      );
      for (const s of streams) {
        const want = new Set(placed[s.account]);
        await s.c.until(() => s.c.events.filter((e) => want.has(body(e).orderId!)).length === ORDERS_PER_ACCOUNT, 60_000);
      }
      for (const s of streams) {
        assert.ok(s.c.events.every((e) => body(e).accountId === `load-${s.account}`));
        assert.equal(s.c.events.length, ORDERS_PER_ACCOUNT, 'one order_durable per order, nothing else');
      }
      const m = await metrics(gw.base);
      assert.equal(m.get('gateway_sse_slow_client_drops_total'), 0);
      assert.equal(m.get('gateway_sse_event_writes_total'), ACCOUNTS * ORDERS_PER_ACCOUNT * PER_ACCOUNT);
      for (const s of streams) s.c.close();
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });
});

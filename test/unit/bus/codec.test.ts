import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { type BusEvent, validateBusEvent } from '../../../src/contract/bus-event.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { BusCodecError, carriesEvents, decodeRecord } from '../../../src/bus/codec.js';
import { copyEntry, V3_BATCH_RECORD_TYPE } from '../../../src/drain/batch-record.js';
import { allocateRing, RingConsumer, RingProducer } from '../../../src/fastpath/ingress-ring.js';
import { OrderBook } from '../../../src/orders/book.js';
import { BINARY_TYPE_OFFSET, encodeEvent, maxEncodedBytes } from '../../../src/orders/event-codec.js';
import { eventJson } from '../../../src/orders/events.js';
import { EventType, type OrderEvent } from '../../../src/orders/order.js';
import { ROUTED_RECORD_TYPE } from '../../../src/orders/outbound.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0, 123);
const GW = 'gw-test';

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

function bin(e: OrderEvent): Buffer {
  const b = Buffer.alloc(maxEncodedBytes(e));
  return b.subarray(0, encodeEvent(e, b));
}

function decode(stream: string, seq: number, type: number, payload: Buffer, atMs = T0): Array<{ id: string; event: BusEvent }> {
  const out: Array<{ id: string; event: BusEvent }> = [];
  const n = decodeRecord(GW, stream, { seq, atMs, type, payload }, (id, event) => out.push({ id, event }));
  assert.equal(n, out.length);
  return out;
}

/** The JSON form with `at` as RFC 3339: what the bus must carry. */
function expected(e: OrderEvent): BusEvent {
  const v = JSON.parse(eventJson(e)) as BusEvent & { at: number };
  return { ...v, at: new Date(v.at).toISOString() };
}

function check(ev: BusEvent): void {
  assert.ok(validateBusEvent(ev), JSON.stringify(validateBusEvent.errors));
  assert.deepEqual(Object.keys(ev), ['type', 'at', 'accountId', 'orderId', 'data']);
  assert.match(ev.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
}

describe('bus codec: journal records to bus_event_v1', () => {
  const book = new OrderBook(new RiskEngine(loadConfig({ V3_RISK_PROFILE: 'medium' }).risk), { idempotencyTtlMs: 0, orderIdPrefix: 'ord_b_' });

  it('renders binary and JSON order events alike, with RFC 3339 times and record ids', () => {
    const events: OrderEvent[] = [];
    const a = book.accept('acct-1', 'c-1', order({ clientOrderId: 'c-1' }), T0);
    events.push(a);
    events.push(book.accept('acct-1', 'key-2', order({ clientOrderId: 'c-2', timeInForce: TimeInForce.GTD, expireAt: T0 + 1000 }), T0));
    events.push(book.accept('compte-é', 'key-3', order({ type: OrdType.Market, price: 0, side: Side.Sell }), T0));
    events.push(book.requestCancel(a.order, T0 + 1));
    events.push(book.update(a.order, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 1) as OrderEvent);
    let seq = 1;
    for (const e of events) {
      const fromBin = decode('orders', seq, e.type + BINARY_TYPE_OFFSET, bin(e));
      const fromJson = decode('orders', seq + 1, e.type, Buffer.from(eventJson(e)));
      assert.equal(fromBin.length, 1);
      assert.equal(fromBin[0]!.id, `${GW}.orders.${seq}`);
      assert.equal(fromJson[0]!.id, `${GW}.orders.${seq + 1}`);
      assert.deepEqual(fromBin[0]!.event, expected(e));
      assert.deepEqual(fromJson[0]!.event, expected(e));
      check(fromBin[0]!.event);
      seq += 2;
    }
    assert.equal(decode('orders', 1, a.type + BINARY_TYPE_OFFSET, bin(a))[0]!.event.at, '2026-01-05T12:00:00.123Z');
  });

  it('carries venue events (OrderSent, CancelSent, ExecutionReport) of every kind of order with their data', () => {
    const data = { avgPx: 15000, cumQty: 10, execId: 'x-1', execType: 'TRADE', lastPx: 15000, lastQty: 10, leavesQty: 90, reason: null, side: 'BUY', status: 'PARTIALLY_FILLED', symbol: 'AAPL', venue: 'sim' };
    const rec = `{"type":"ExecutionReport","at":${T0},"accountId":"acct-9","orderId":"1000042","data":${JSON.stringify(data)}}`;
    const [e] = decode('orders', 7, EventType.ExecutionReport, Buffer.from(rec));
    assert.deepEqual(e, { id: `${GW}.orders.7`, event: { type: 'ExecutionReport', at: new Date(T0).toISOString(), accountId: 'acct-9', orderId: '1000042', data } });
    check(e!.event);
    for (const [type, name] of [
      [EventType.OrderSent, 'OrderSent'],
      [EventType.CancelSent, 'CancelSent'],
    ] as const) {
      const [s] = decode('orders', 8, type, Buffer.from(`{"type":"${name}","at":${T0},"accountId":"a","orderId":"o","data":{"venue":"sim"}}`));
      assert.equal(s!.event.type, name);
      assert.deepEqual(s!.event.data, { venue: 'sim' });
      check(s!.event);
    }
  });

  it('turns a /v3 batch record into one OrderAccepted per order, ids indexed in batch order', () => {
    const ring = allocateRing(8);
    const p = new RingProducer(ring);
    p.push(1_000_001, 1, 5_000, 'acct-1', 'sess-1', order({ clientOrderId: 'c-1' }));
    p.push(1_000_002, 2, 6_000, 'acct-2', 'sess-1', order({ side: Side.Sell, type: OrdType.Market, price: 0 }));
    p.push(1_000_003, 3, 7_000, 'acct-1', 'sess-2', order({ timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000 }));
    const c = new RingConsumer(ring);
    const out = Buffer.alloc(4096);
    let at = 4;
    for (let i = 0; i < 3; i++) at = copyEntry(c.bytes, c.slotOffset(i), out, at);
    out.writeUInt32LE(3, 0);
    const got = decode('v3-1', 12, V3_BATCH_RECORD_TYPE, out.subarray(0, at));
    assert.deepEqual(
      got.map((g) => g.id),
      [`${GW}.v3-1.12.0`, `${GW}.v3-1.12.1`, `${GW}.v3-1.12.2`],
    );
    for (const g of got) check(g.event);
    assert.deepEqual(got[0]!.event, {
      type: 'OrderAccepted',
      at: new Date(T0).toISOString(),
      accountId: 'acct-1',
      orderId: '1000001',
      data: { clientOrderId: 'c-1', expireAt: null, price: 15000, qty: 100, sessionId: 'sess-1', sessionSeq: 1, side: 'BUY', symbol: 'AAPL', timeInForce: 'GTC', type: 'LIMIT' },
    });
    assert.equal(got[1]!.event.accountId, 'acct-2');
    assert.equal((got[1]!.event.data as { price: unknown }).price, null);
    assert.equal((got[1]!.event.data as { side: unknown }).side, 'SELL');
    assert.equal((got[2]!.event.data as { expireAt: unknown }).expireAt, 1_900_000_000_000);
    assert.equal((got[2]!.event.data as { timeInForce: unknown }).timeInForce, 'GTD');
  });

  it('skips internal records (routing, >= 100) and refuses undecodable event records with a stable code', () => {
    assert.equal(carriesEvents(ROUTED_RECORD_TYPE), false);
    assert.deepEqual(decode('orders', 3, ROUTED_RECORD_TYPE, Buffer.from([1, 0, 0, 0])), []);
    assert.deepEqual(decode('orders', 3, 150, Buffer.alloc(0)), []);
    assert.deepEqual(decode('orders', 3, 99, Buffer.alloc(0)), []);
    for (const t of [1, 4, 6, 11, V3_BATCH_RECORD_TYPE]) {
      assert.ok(carriesEvents(t));
      assert.throws(
        () => decode('orders', 3, t, Buffer.from('{"nope"')),
        (err: unknown) => err instanceof BusCodecError && err.code === 'BUS_RECORD_UNDECODABLE' && err.seq === 3,
      );
    }
  });
});

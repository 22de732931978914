/**
 * Snapshot format 2 holds state, not history: working orders (with their fills and venue
 * events), terminal orders within the retention window or with a live idempotency key,
 * positions and day notional per account, counters, and the execution stage's venue state
 * (routed /v3 orders, partially filled ones included). Round trips and refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { OrderBook } from '../../../src/orders/book.js';
import { eventJson } from '../../../src/orders/events.js';
import { EventType, type Order, type OrderEvent } from '../../../src/orders/order.js';
import { ROUTED_RECORD_TYPE } from '../../../src/orders/outbound.js';
import { loadSnapshot, SnapshotCursor, SnapshotFormatError, type SnapshotState } from '../../../src/orders/snapshot.js';
import { RiskEngine } from '../../../src/risk/engine.js';
import { RoutedRestore } from '../../../src/execution/restore.js';
import { encodeRouted } from '../../../src/execution/routed-record.js';
import { decodeVenueState, VenueStateError } from '../../../src/execution/venue-state.js';

const T0 = Date.UTC(2026, 0, 5, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

function newBook(profile = 'heavy'): OrderBook {
  const risk = new RiskEngine(loadConfig({ V3_RISK_PROFILE: profile, V3_RISK_STRICT_SYMBOLS: '0' }).risk);
  return new OrderBook(risk, { idempotencyTtlMs: HOUR, orderIdPrefix: 'ord_s_' });
}

let seq = 0;
const j = (e: OrderEvent | string): OrderEvent => {
  if (typeof e === 'string') throw new Error(e);
  e.seq = ++seq;
  return e;
};


/**
 * History over two hours (now = T0 + 120 min, retention 10 min, key TTL 1 h):
 *   C  accepted T0, filled T0+1          terminal long ago, key expired   → left out
 *   E  accepted T0+90, filled T0+91      terminal 29 min ago, key live     → kept (key)
 *   D  accepted T0+100, cancelled T0+115 terminal 5 min ago                → kept (retention)
 *   A  accepted T0+110                   working                          → kept
 *   B  accepted T0+111, sent, 40/100     working, partially filled        → kept
 *   S  accepted T0+2, sold 30, filled    terminal long ago                → left out (its position stays)
 */
function playHistory(book: OrderBook): Record<string, Order> {
  const at = (m: number) => book.clock(T0 + m * MIN);
  const fill = (o: Order, status: 'PARTIALLY_FILLED' | 'FILLED', cum: number, last: number, id: string, t: number) =>
    j(book.venueEvent(o, EventType.ExecutionReport, t, status, cum, null, JSON.stringify({ cumQty: cum, execId: id, lastPx: 15000, lastQty: last, status, venue: 'sim' })));
  const C = j(book.accept('acct-1', 'key-C', order({ clientOrderId: 'key-C' }), at(0))).order;
  j(book.venueEvent(C, EventType.OrderSent, at(0), null, 0, null, '{"venue":"sim"}'));
  fill(C, 'FILLED', 100, 100, 'x-C', at(1));
  const S = j(book.accept('acct-2', 'key-S', order({ side: Side.Sell, qty: 30 }), at(2))).order;
  j(book.update(S, 'FILLED', 30, null, at(2)));
  const E = j(book.accept('acct-1', 'key-E', order({ qty: 10 }), at(90))).order;
  j(book.update(E, 'FILLED', 10, null, at(91)));
  const D = j(book.accept('acct-2', 'key-D', order({ clientOrderId: 'cl-D' }), at(100))).order;
  j(book.requestCancel(D, at(115)));
  j(book.update(D, 'CANCELED', 0, 'CLIENT_CANCEL', at(115)));
  const A = j(book.accept('acct-1', 'key-A', order({ clientOrderId: 'cl-A', qty: 7 }), at(110))).order;
  const B = j(book.accept('acct-2', 'key-B', order({ price: 14900 }), at(111))).order;
  j(book.venueEvent(B, EventType.OrderSent, at(111), null, 0, null, '{"venue":"sim"}'));
  fill(B, 'PARTIALLY_FILLED', 40, 40, 'x-B1', at(112));
  return { A, B, C, D, E, S };
}

function take(book: OrderBook, state: Partial<SnapshotState> = {}, chunk = 3): string {
  const cursor = new SnapshotCursor(book, seq, {
    nowMs: T0 + 120 * MIN,
    retention: { terminalMs: 10 * MIN, keyTtlMs: HOUR },
    accounts: book.risk.accountStates(),
    venue: null,
    ...state,
  });
  let text = '';
  while (!cursor.done) text += cursor.next(chunk);
  return text;
}

const exposure = (b: OrderBook, acct: string) => {
  const e = b.risk.account(acct, T0).exposures.get('AAPL');
  return e === undefined ? [0, 0, 0] : [e.net, e.openBuy, e.openSell];
};

describe('snapshot format 2: state, not history', () => {
  it('keeps working orders, retained terminal orders and live keys; positions and counters survive the orders left out', () => {
    seq = 0;
    const live = newBook();
    const o = playHistory(live);
    const venue = { anything: ['the execution stage', 1] };
    const text = take(live, { venue });
    const restored = newBook();
    const now = T0 + 121 * MIN;
    const r = loadSnapshot(restored, Buffer.from(text), now);
    assert.deepEqual(r.anomalies, []);
    assert.equal(r.header.v, 2);
    assert.equal(r.header.seq, seq);
    assert.deepEqual(r.venue, venue, 'the venue section comes back as it went in');
    assert.equal(r.orders, 4, 'A, B, D, E');
    assert.equal(restored.store.size, 4);
    assert.equal(restored.get(o.C!.orderId), undefined, 'an old terminal order with an expired key is left out');
    assert.equal(restored.get(o.S!.orderId), undefined);
    for (const k of ['A', 'B', 'D', 'E']) {
      const a = o[k]!;
      const b = restored.get(a.orderId)!;
      assert.ok(b !== undefined, k);
      assert.deepEqual([b.status, b.filledQty, b.acceptSeq, b.lastUpdateAt, b.venue], [a.status, a.filledQty, a.acceptSeq, a.lastUpdateAt, a.venue], k);
      assert.deepEqual(b.events.map((e) => [e.seq, eventJson(e)]), a.events.map((e) => [e.seq, eventJson(e)]), `${k}: every event, same seq`);
    }
    // Idempotency: live keys answer with the same order; an expired one is gone.
    assert.equal(restored.lookup('acct-1', 'key-E', o.E!.request, now), restored.get(o.E!.orderId), 'key of a filled order within its TTL');
    assert.equal(restored.lookup('acct-1', 'key-A', o.A!.request, now), restored.get(o.A!.orderId));
    assert.equal(restored.lookup('acct-1', 'key-C', o.C!.request, now), null, 'expired key: a retry is a new order');
    assert.equal(restored.lookup('acct-1', 'key-A', { ...o.A!.request, qty: 8 }, now), 'conflict');
    assert.equal(restored.byClientOrderId('acct-2', 'cl-D'), restored.get(o.D!.orderId));
    // Risk: positions include the fills of orders left out; exposure is that of the working orders.
    for (const acct of ['acct-1', 'acct-2']) assert.deepEqual(exposure(restored, acct), exposure(live, acct), acct);
    assert.deepEqual(exposure(restored, 'acct-1'), [110, 7, 0]);
    assert.deepEqual(exposure(restored, 'acct-2'), [10, 60, 0], '40 bought by B, 30 sold by S; B open 60');
    const la = live.risk.account('acct-2', T0);
    const ra = restored.risk.account('acct-2', T0);
    assert.deepEqual([ra.openNotional, ra.positionNotional, ra.dailyNotional, ra.day], [la.openNotional, la.positionNotional, la.dailyNotional, la.day], 'margin state');
    assert.equal(restored.risk.creditUsed(ra), live.risk.creditUsed(la));
    // Counters: the next order continues the numbering.
    assert.equal(restored.lastAcceptSeq, live.lastAcceptSeq);
    assert.equal(restored.lastEventAt, live.lastEventAt);
    // Records after the snapshot apply on top: B fills completely.
    const data = JSON.stringify({ cumQty: 100, execId: 'x-B2', lastPx: 15000, lastQty: 60, status: 'FILLED', venue: 'sim' });
    const ev = j(live.venueEvent(o.B!, EventType.ExecutionReport, T0 + 121 * MIN, 'FILLED', 100, null, data));
    assert.equal(restored.applyRecord(ev.seq, EventType.ExecutionReport, eventJson(ev), now), 'applied');
    assert.deepEqual(exposure(restored, 'acct-2'), exposure(live, 'acct-2'));
    assert.deepEqual(exposure(restored, 'acct-2'), [70, 0, 0]);
  });

  it('its size follows the state: ten times the history, the same snapshot', () => {
    const sizes: number[] = [];
    for (const n of [100, 1000]) {
      seq = 0;
      const book = newBook('medium');
      for (let i = 0; i < n; i++) {
        const e = j(book.accept('acct-h', `old-${i}`, order({ qty: 1 }), book.clock(T0 + i)));
        j(book.update(e.order, 'FILLED', 1, null, book.clock(T0 + i)));
      }
      for (let i = 0; i < 20; i++) j(book.accept('acct-h', `open-${i}`, order({ qty: 1 }), book.clock(T0 + 3 * HOUR)));
      const text = take(book, { nowMs: T0 + 3 * HOUR });
      const restored = newBook('medium');
      const r = loadSnapshot(restored, Buffer.from(text), T0 + 3 * HOUR);
      assert.equal(r.orders, 20);
      assert.deepEqual(exposure(restored, 'acct-h'), [n, 20, 0], 'the position of the whole history, the exposure of the open orders');
      assert.equal(r.events, 20);
      sizes.push(text.length);
    }
    // The same 20 orders: only the digits of their seqs and ids grow with the history.
    assert.ok(sizes[1]! < sizes[0]! * 1.1, `${sizes[0]} vs ${sizes[1]} bytes`);
  });

  it('an order working at the snapshot seq is kept even when it ended while the snapshot was written', () => {
    seq = 0;
    const book = newBook();
    const a = j(book.accept('acct-1', 'k', order(), book.clock(T0))).order;
    const cursor = new SnapshotCursor(book, seq, { nowMs: T0 + 5 * HOUR, retention: { terminalMs: 0, keyTtlMs: 1 }, accounts: book.risk.accountStates(), venue: null });
    j(book.update(a, 'FILLED', 100, null, book.clock(T0 + 1)));
    let text = '';
    while (!cursor.done) text += cursor.next(1);
    const restored = newBook();
    const r = loadSnapshot(restored, Buffer.from(text), T0);
    assert.equal(r.orders, 1);
    assert.equal(restored.get(a.orderId)!.status, 'ACCEPTED', 'as of the snapshot seq');
    assert.deepEqual(exposure(restored, 'acct-1'), [0, 100, 0]);
  });

  it('still reads format 1 (history) and refuses damaged or unknown content', () => {
    const v1 =
      `{"v":1,"seq":2,"lastAcceptSeq":1,"lastAt":${T0 + 5},"events":2}\n` +
      `[[1,1,${T0},"ord_s_1","acct-1",1,"k1","AAPL",${Side.Buy},${OrdType.Limit},100,15000,${TimeInForce.GTC},0,"k1"],[2,3,${T0 + 5},"ord_s_1","PARTIALLY_FILLED",30,null]]\n`;
    const b = newBook();
    const r = loadSnapshot(b, Buffer.from(v1), T0 + 10);
    assert.deepEqual([r.header.v, r.orders, r.events, r.hasVenueState], [1, 1, 2, false]);
    assert.equal(b.get('ord_s_1')!.filledQty, 30);
    assert.deepEqual(exposure(b, 'acct-1'), [30, 70, 0]);

    seq = 0;
    const live = newBook();
    playHistory(live);
    const text = take(live);
    const noEnd = text.slice(0, text.lastIndexOf('{"end"'));
    assert.throws(() => loadSnapshot(newBook(), Buffer.from(noEnd), T0), (e: unknown) => e instanceof SnapshotFormatError && /no end line/.test(e.message));
    const badCount = text.replace(/"events":\d+\}\}/, '"events":999}}');
    assert.throws(() => loadSnapshot(newBook(), Buffer.from(badCount), T0), /announces 999 events/);
    assert.throws(() => loadSnapshot(newBook(), Buffer.from('{"v":3,"seq":1,"lastAcceptSeq":0,"lastAt":0}\n'), T0), /unsupported snapshot version 3/);
    assert.throws(() => loadSnapshot(newBook(), Buffer.from(text.replace('{"accounts":[', '{"accounts":[1,')), T0), /bad account entry/);
  });
});

describe('snapshot venue state: routed orders still working', () => {
  const routed = (shard: number, orderNos: number[]) => encodeRouted({ shard, venues: ['sim', 'fix1'], orderNos, venueOf: orderNos.map((n) => n % 2) });
  const ev = (type: EventType, orderId: string, data: Record<string, unknown>, at = T0) =>
    Buffer.from(JSON.stringify({ type: 'x', at, accountId: 'acct-v', orderId, data }));

  it('round-trips routing watermarks, partially filled orders with their fills, pending cancels', () => {
    const a = new RoutedRestore();
    a.record(1, ROUTED_RECORD_TYPE, routed(0, [10, 11, 12]));
    a.record(2, ROUTED_RECORD_TYPE, routed(1, [7]));
    a.record(3, EventType.ExecutionReport, ev(EventType.ExecutionReport, '10', { status: 'PARTIALLY_FILLED', cumQty: 40, lastQty: 40, lastPx: 15010, execId: 'e1', side: 'BUY', symbol: 'AAPL' }));
    a.record(4, EventType.ExecutionReport, ev(EventType.ExecutionReport, '11', { status: 'FILLED', cumQty: 100, lastQty: 100, lastPx: 14990, execId: 'e2', side: 'SELL', symbol: 'AAPL' }));
    a.record(5, EventType.CancelSent, ev(EventType.CancelSent, '12', { venue: 'sim' }));
    const state = JSON.parse(JSON.stringify(a.snapshot())) as unknown;

    const b = new RoutedRestore();
    b.restore(state);
    assert.deepEqual([...b.routedUpTo], [...a.routedUpTo]);
    assert.deepEqual(b.workingByShard(2), [[11, 10, 12], [7]], 'working orders, and done ones kept readable');
    for (const n of [10, 11, 12, 7]) assert.deepEqual(b.stateOf(n), a.stateOf(n), `order ${n}`);
    assert.deepEqual(b.stateOf(10)!.fills, [{ execId: 'e1', qty: 40, px: 15010, at: T0, venue: 'sim' }]);
    assert.equal(b.stateOf(11)!.status, 'FILLED', 'a filled order is kept, done');
    assert.equal(b.stateOf(12)!.cancelSent, true);
    // Only fills fed after the restore move positions (the snapshot's accounts hold the earlier ones).
    assert.deepEqual(b.positions(), []);
    b.record(6, EventType.ExecutionReport, ev(EventType.ExecutionReport, '10', { status: 'FILLED', cumQty: 100, lastQty: 60, lastPx: 15000, execId: 'e3', side: 'BUY', symbol: 'AAPL' }));
    assert.deepEqual(b.positions(), [{ accountId: 'acct-v', symbol: 'AAPL', net: 60 }]);
    assert.equal(b.stateOf(10)!.status, 'FILLED');
    assert.deepEqual(a.positions(), [{ accountId: 'acct-v', symbol: 'AAPL', net: 40 - 100 }], 'fills replayed from the journal alone');
  });

  it('keeps the newest `retainDone` orders done', () => {
    const r = new RoutedRestore(2);
    r.record(1, ROUTED_RECORD_TYPE, routed(0, [1, 2, 3, 4]));
    for (const n of [1, 2, 3]) r.record(1 + n, EventType.ExecutionReport, ev(EventType.ExecutionReport, String(n), { status: 'CANCELED', cumQty: 0 }));
    assert.equal(r.stateOf(1), undefined, 'the oldest done order is dropped');
    assert.deepEqual(r.workingByShard(1), [[2, 3, 4]]);
  });

  it('refuses a venue section it does not know', () => {
    assert.throws(() => decodeVenueState({ v: 9 }), VenueStateError);
    assert.throws(() => decodeVenueState({ v: 1, routedUpTo: [], working: [[1, 0, 'sim', 'NOPE', 0, 0, 0, []]] }), /bad working entry/);
    assert.throws(() => decodeVenueState(null), /not an object/);
  });
});

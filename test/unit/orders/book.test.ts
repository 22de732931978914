import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { KEY_CONFLICT, OrderBook } from '../../../src/orders/book.js';
import { selectEvents } from '../../../src/orders/event-index.js';
import { decodeEvent, eventJson } from '../../../src/orders/events.js';
import { cancelDecision, checkUpdate, EventType, isTerminal, type Order, type OrderEvent } from '../../../src/orders/order.js';
import { loadSnapshot, SnapshotCursor } from '../../../src/orders/snapshot.js';
import { seqOfOrderId } from '../../../src/orders/store.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const T0 = Date.UTC(2026, 0, 5, 12);
const HOUR = 3_600_000;

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

/** A book with the medium profile (exposure is tracked) and a TTL of one hour. */
function newBook(env: Record<string, string> = {}): OrderBook {
  const risk = new RiskEngine(loadConfig({ V3_RISK_PROFILE: 'medium', ...env }).risk);
  return new OrderBook(risk, { idempotencyTtlMs: HOUR, orderIdPrefix: 'ord_t_' });
}

let nextSeq = 1;
/** Plays the journal: gives each event the next seq, as JournalWriter.append would. */
function journal(e: OrderEvent): OrderEvent {
  e.seq = nextSeq++;
  return e;
}

function openBuy(book: OrderBook, accountId: string, symbol = 'AAPL'): number {
  return book.risk.account(accountId, T0).exposures.get(symbol)?.openBuy ?? 0;
}

describe('order state machine', () => {
  it('knows the terminal states', () => {
    for (const s of ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'] as const) assert.equal(isTerminal(s), true, s);
    for (const s of ['ACCEPTED', 'PARTIALLY_FILLED', 'CANCEL_REQUESTED'] as const) assert.equal(isTerminal(s), false, s);
  });
  it('decides cancels: working → request, pending → pending, terminal → final', () => {
    assert.equal(cancelDecision('ACCEPTED'), 'request');
    assert.equal(cancelDecision('PARTIALLY_FILLED'), 'request');
    assert.equal(cancelDecision('CANCEL_REQUESTED'), 'pending');
    for (const s of ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'] as const) assert.equal(cancelDecision(s), 'final', s);
  });
  it('checks updates against transitions and fill rules', () => {
    assert.equal(checkUpdate('ACCEPTED', 0, 100, 'PARTIALLY_FILLED', 40), null);
    assert.equal(checkUpdate('PARTIALLY_FILLED', 40, 100, 'FILLED', 100), null);
    assert.equal(checkUpdate('CANCEL_REQUESTED', 0, 100, 'CANCELED', 0), null);
    assert.equal(checkUpdate('CANCEL_REQUESTED', 0, 100, 'ACCEPTED', 0), null, 'a refused cancel');
    assert.match(checkUpdate('CANCELED', 0, 100, 'ACCEPTED', 0)!, /cannot become/);
    assert.match(checkUpdate('FILLED', 100, 100, 'CANCELED', 100)!, /cannot become/);
    assert.match(checkUpdate('ACCEPTED', 0, 100, 'FILLED', 99)!, /filled = qty/);
    assert.match(checkUpdate('PARTIALLY_FILLED', 40, 100, 'PARTIALLY_FILLED', 30)!, /cannot go/);
    assert.match(checkUpdate('ACCEPTED', 0, 100, 'PARTIALLY_FILLED', 101)!, /exceeds/);
    assert.match(checkUpdate('ACCEPTED', 0, 100, 'PARTIALLY_FILLED', 100)!, /0 < filled < qty/);
  });
});

describe('order book: accept, lookups, idempotency', () => {
  it('creates orders with ids ending in their acceptSeq, indexed by id and clientOrderId', () => {
    const book = newBook();
    const a = journal(book.accept('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0)).order;
    const b = journal(book.accept('acct-1', 'k2', order(), T0)).order;
    assert.deepEqual([a.orderId, a.acceptSeq, b.orderId, b.acceptSeq], ['ord_t_1', 1, 'ord_t_2', 2]);
    assert.equal(seqOfOrderId('ord_t_2'), 2);
    assert.equal(seqOfOrderId('ord_t_x'), 0);
    assert.equal(book.get('ord_t_1'), a);
    assert.equal(book.get('ord_u_1'), undefined, 'same seq, other prefix');
    assert.equal(book.getFor('acct-1', 'ord_t_1'), a);
    assert.equal(book.getFor('acct-2', 'ord_t_1'), undefined, 'another account');
    assert.equal(book.byClientOrderId('acct-1', 'c1'), a);
    assert.equal(book.byClientOrderId('acct-2', 'c1'), undefined);
    assert.equal(book.store.count('ACCEPTED'), 2);
    assert.equal(openBuy(book, 'acct-1'), 200, 'exposure booked');
  });

  it('answers a replay with the original order, a different request with a conflict', () => {
    const book = newBook();
    const o = journal(book.accept('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0)).order;
    assert.equal(book.lookup('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0 + 1), o);
    assert.equal(book.lookup('acct-1', 'k1', order({ clientOrderId: 'c1', qty: 101 }), T0 + 1), KEY_CONFLICT);
    assert.equal(book.lookup('acct-1', 'k1', order({ clientOrderId: 'c2' }), T0 + 1), KEY_CONFLICT, 'clientOrderId is part of the request');
    assert.equal(book.lookup('acct-2', 'k1', order({ clientOrderId: 'c1' }), T0 + 1), null, 'keys are per account');
    assert.equal(book.lookup('acct-1', 'k9', order(), T0 + 1), null);
    assert.deepEqual([book.checked, book.hits, book.conflicts, book.creates], [5, 1, 2, 1]);
  });

  it('expires keys lazily after the TTL (the order stays)', () => {
    const book = newBook();
    const o = journal(book.accept('acct-1', 'k1', order(), T0)).order;
    assert.equal(book.lookup('acct-1', 'k1', order(), T0 + HOUR), o, 'exactly at the TTL: still valid');
    assert.equal(book.lookup('acct-1', 'k1', order(), T0 + HOUR + 1), null);
    assert.equal(book.idem.expired, 1);
    assert.equal(book.idem.size, 0);
    assert.equal(book.get(o.orderId), o);
    const never = new OrderBook(book.risk, { idempotencyTtlMs: 0 });
    const p = journal(never.accept('acct-1', 'k1', order(), T0)).order;
    assert.equal(never.lookup('acct-1', 'k1', order(), T0 + 1000 * 24 * HOUR), p, 'TTL 0 = never expires');
  });

  it('keeps a key live when a newer order takes over its clientOrderId; rollback restores', () => {
    const book = newBook();
    const a = journal(book.accept('acct-1', 'c1', order({ clientOrderId: 'c1' }), T0)).order; // key = clientOrderId
    journal(book.requestCancel(a, T0));
    journal(book.update(a, 'CANCELED', 0, 'CLIENT_CANCEL', T0) as OrderEvent);
    const ev = book.accept('acct-1', 'hdr-2', order({ clientOrderId: 'c1', qty: 5 }), T0 + 1);
    const b = journal(ev).order;
    assert.equal(book.byClientOrderId('acct-1', 'c1'), b);
    assert.equal(book.lookup('acct-1', 'c1', order({ clientOrderId: 'c1' }), T0 + 2), a, 'key c1 still answers with the order created under it');
    assert.equal(book.lookup('acct-1', 'hdr-2', order({ clientOrderId: 'c1', qty: 5 }), T0 + 2), b);
    assert.equal(book.idem.size, 2);
    book.rollback(ev);
    assert.equal(book.lookup('acct-1', 'c1', order({ clientOrderId: 'c1' }), T0 + 2), a);
    assert.equal(book.lookup('acct-1', 'hdr-2', order({ clientOrderId: 'c1', qty: 5 }), T0 + 2), null);
    assert.equal(book.idem.size, 1);
    // Expiry of a key held by the clientOrderId index is counted once.
    assert.equal(book.lookup('acct-1', 'c1', order({ clientOrderId: 'c1' }), T0 + 2 * HOUR), null);
    assert.equal(book.lookup('acct-1', 'c1', order({ clientOrderId: 'c1' }), T0 + 2 * HOUR), null);
    assert.deepEqual([book.idem.expired, book.idem.size], [1, 0]);
  });

  it('finds an open order by clientOrderId, but not a terminal one; the newest wins', () => {
    const book = newBook();
    const a = journal(book.accept('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0)).order;
    assert.equal(book.openWithClientOrderId('acct-1', 'c1'), a);
    journal(book.requestCancel(a, T0 + 1));
    journal(book.update(a, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 1) as OrderEvent);
    assert.equal(book.openWithClientOrderId('acct-1', 'c1'), undefined);
    const b = journal(book.accept('acct-1', 'k2', order({ clientOrderId: 'c1' }), T0 + 2)).order;
    assert.equal(book.byClientOrderId('acct-1', 'c1'), b);
  });

  it('keeps event times monotonic', () => {
    const book = newBook();
    assert.equal(book.clock(T0), T0);
    assert.equal(book.clock(T0 - 5000), T0, 'a clock step back does not move events back');
    assert.equal(book.clock(T0 + 1), T0 + 1);
  });
});

describe('order book: cancels and exposure', () => {
  it('cancel: CANCEL_REQUESTED then CANCELED releases the exposure; terminal is final', () => {
    const book = newBook();
    const o = journal(book.accept('acct-1', 'k1', order({ qty: 300 }), T0)).order;
    assert.equal(openBuy(book, 'acct-1'), 300);
    journal(book.requestCancel(o, T0 + 5));
    assert.equal(o.status, 'CANCEL_REQUESTED');
    assert.equal(cancelDecision(o.status), 'pending');
    const done = book.update(o, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 5);
    assert.notEqual(typeof done, 'string');
    journal(done as OrderEvent);
    assert.equal(o.status, 'CANCELED');
    assert.equal(o.lastUpdateAt, T0 + 5);
    assert.equal(openBuy(book, 'acct-1'), 0, 'exposure released');
    assert.equal(cancelDecision(o.status), 'final');
    assert.throws(() => book.requestCancel(o, T0 + 6), /cannot request a cancel/);
    assert.equal(typeof book.update(o, 'FILLED', 300, null, T0 + 7), 'string', 'nothing after a terminal state');
    assert.deepEqual(o.events.map((e) => e.type), [EventType.OrderAccepted, EventType.CancelRequested, EventType.OrderUpdated]);
    assert.equal(book.store.count('CANCELED'), 1);
    assert.equal(book.store.count('ACCEPTED'), 0);
  });

  it('fills move exposure into the position', () => {
    const book = newBook();
    const o = journal(book.accept('acct-1', 'k1', order({ qty: 100 }), T0)).order;
    journal(book.update(o, 'PARTIALLY_FILLED', 40, null, T0 + 1) as OrderEvent);
    const e = book.risk.account('acct-1', T0).exposures.get('AAPL')!;
    assert.deepEqual([e.openBuy, e.net], [60, 40]);
    journal(book.update(o, 'FILLED', 100, null, T0 + 2) as OrderEvent);
    assert.deepEqual([e.openBuy, e.net, o.risk], [0, 100, null]);
  });
});

describe('order book: rollback (records that never became durable)', () => {
  it('undoing an accept removes the order, its key and its exposure', () => {
    const book = newBook();
    const keep = journal(book.accept('acct-1', 'k0', order({ clientOrderId: 'c1', qty: 10 }), T0)).order;
    journal(book.requestCancel(keep, T0));
    journal(book.update(keep, 'CANCELED', 0, 'CLIENT_CANCEL', T0) as OrderEvent);
    const ev = book.accept('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0 + 1);
    const o = ev.order;
    assert.equal(book.byClientOrderId('acct-1', 'c1'), o);
    book.rollback(ev);
    assert.equal(book.get(o.orderId), undefined);
    assert.equal(book.lookup('acct-1', 'k1', order({ clientOrderId: 'c1' }), T0 + 2), null);
    assert.equal(book.byClientOrderId('acct-1', 'c1'), keep, 'the previous holder of the clientOrderId is back');
    assert.equal(openBuy(book, 'acct-1'), 0);
    assert.equal(book.events.list('acct-1').length, 3);
    assert.equal(book.log.length, 3);
    assert.equal(o.rolledBack, true);
  });

  it('undoing a cancel (newest first) restores the working order and its exposure', () => {
    const book = newBook();
    const o = journal(book.accept('acct-1', 'k1', order(), T0)).order;
    const r = book.requestCancel(o, T0 + 1);
    const c = book.update(o, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 1) as OrderEvent;
    assert.equal(openBuy(book, 'acct-1'), 0);
    assert.throws(() => book.rollback(r), /newest event/);
    book.rollback(c);
    assert.equal(o.status, 'CANCEL_REQUESTED');
    book.rollback(r);
    assert.equal(o.status, 'ACCEPTED');
    assert.equal(o.lastUpdateAt, T0);
    assert.equal(openBuy(book, 'acct-1'), 100, 'exposure booked again');
    assert.equal(book.store.count('ACCEPTED'), 1);
    assert.equal(book.store.count('CANCELED'), 0);
  });
});

describe('order events', () => {
  it('encode as bus_event_v1 and decode back', () => {
    const book = newBook();
    const ev = journal(book.accept('acct-"1"', 'key-1', order({ clientOrderId: 'c\\1', timeInForce: TimeInForce.GTD, expireAt: T0 + HOUR }), T0));
    const json = eventJson(ev);
    assert.deepEqual(JSON.parse(json), {
      type: 'OrderAccepted',
      at: T0,
      accountId: 'acct-"1"',
      orderId: 'ord_t_1',
      data: { acceptSeq: 1, clientOrderId: 'c\\1', expireAt: T0 + HOUR, idempotencyKey: 'key-1', price: 15000, qty: 100, side: 'BUY', symbol: 'AAPL', timeInForce: 'GTD', type: 'LIMIT' },
    });
    const d = decodeEvent(EventType.OrderAccepted, json);
    assert.deepEqual(d.request, ev.order.request);
    assert.deepEqual([d.acceptSeq, d.idempotencyKey, d.orderId, d.accountId], [1, 'key-1', 'ord_t_1', 'acct-"1"']);

    const mkt = journal(book.accept('a', 'k2', order({ type: OrdType.Market, price: 0, side: Side.Sell }), T0));
    assert.deepEqual(decodeEvent(EventType.OrderAccepted, eventJson(mkt)).request, mkt.order.request);
    assert.equal(JSON.parse(eventJson(mkt)).data.price, null);

    const req = journal(book.requestCancel(mkt.order, T0 + 1));
    assert.deepEqual(JSON.parse(eventJson(req)).data, {});
    const upd = journal(book.update(mkt.order, 'CANCELED', 0, 'CLIENT_CANCEL', T0 + 1) as OrderEvent);
    assert.deepEqual(JSON.parse(eventJson(upd)).data, { filledQty: 0, reason: 'CLIENT_CANCEL', status: 'CANCELED' });
    assert.deepEqual(decodeEvent(EventType.OrderUpdated, eventJson(upd)).status, 'CANCELED');
    assert.throws(() => decodeEvent(EventType.OrderUpdated, '{"at":1,"accountId":"a","orderId":"o","data":{"status":"NOPE","filledQty":0}}'), /bad OrderUpdated/);
    assert.throws(() => decodeEvent(EventType.OrderAccepted, 'not json'), /not JSON/);
  });

  it('select: the newest `limit` matches, oldest first, bounded by time and by the durable seq', () => {
    const book = newBook();
    const evs: OrderEvent[] = [];
    for (let i = 0; i < 5; i++) evs.push(journal(book.accept('acct-1', `k${i}`, order(), T0 + i * 1000)));
    const list = book.events.list('acct-1');
    const seqs = (q: Partial<Parameters<typeof selectEvents>[1]>) =>
      selectEvents(list, { limit: 100, since: null, after: null, maxSeq: Infinity, ...q }).map((e) => e.at - T0);
    assert.deepEqual(seqs({}), [0, 1000, 2000, 3000, 4000]);
    assert.deepEqual(seqs({ limit: 2 }), [3000, 4000]);
    assert.deepEqual(seqs({ since: T0 + 2000 }), [2000, 3000, 4000]);
    assert.deepEqual(seqs({ after: T0 + 2000 }), [3000, 4000]);
    assert.deepEqual(seqs({ maxSeq: evs[2]!.seq }), [0, 1000, 2000]);
  });
});

describe('order book: rebuild from the journal', () => {
  /** Plays a little history on `live` and returns the journal records it produced. */
  function history(live: OrderBook): Array<{ seq: number; type: number; payload: string }> {
    const recs: Array<{ seq: number; type: number; payload: string }> = [];
    const rec = (e: OrderEvent) => recs.push({ seq: journal(e).seq, type: e.type, payload: eventJson(e) });
    const orders: Order[] = [];
    for (let i = 0; i < 20; i++) {
      const ev = live.accept(`acct-${i % 3}`, `key-${i}`, order({ clientOrderId: i % 2 ? `c-${i}` : null, qty: 10 + i }), live.clock(T0 + i));
      rec(ev);
      orders.push(ev.order);
    }
    for (const o of orders.slice(0, 6)) {
      rec(live.requestCancel(o, live.clock(T0 + 100)));
      rec(live.update(o, 'CANCELED', 0, 'CLIENT_CANCEL', live.clock(T0 + 100)) as OrderEvent);
    }
    rec(live.update(orders[10]!, 'PARTIALLY_FILLED', 5, null, live.clock(T0 + 200)) as OrderEvent);
    return recs;
  }

  function sameState(a: OrderBook, b: OrderBook): void {
    assert.equal(a.store.size, b.store.size);
    assert.deepEqual([...a.store.statusCounts], [...b.store.statusCounts]);
    assert.equal(a.lastAcceptSeq, b.lastAcceptSeq);
    assert.equal(a.lastEventAt, b.lastEventAt);
    assert.equal(a.idem.size, b.idem.size);
    assert.deepEqual(a.log.map((e) => eventJson(e)), b.log.map((e) => eventJson(e)));
    assert.deepEqual(a.log.map((e) => e.seq), b.log.map((e) => e.seq));
    for (const acct of ['acct-0', 'acct-1', 'acct-2']) {
      assert.deepEqual(a.events.list(acct).map((e) => e.seq), b.events.list(acct).map((e) => e.seq));
      const ea = a.risk.account(acct, T0).exposures.get('AAPL')!;
      const eb = b.risk.account(acct, T0).exposures.get('AAPL')!;
      assert.deepEqual([ea.openBuy, ea.net], [eb.openBuy, eb.net], acct);
    }
    for (const o of a.log.filter((e) => e.type === EventType.OrderAccepted).map((e) => e.order)) {
      const p = b.get(o.orderId)!;
      assert.deepEqual([p.status, p.filledQty, p.lastUpdateAt, p.acceptSeq, p.idempotencyKey], [o.status, o.filledQty, o.lastUpdateAt, o.acceptSeq, o.idempotencyKey]);
      assert.equal(b.lookup(o.accountId, o.idempotencyKey, o.request, T0 + 1000), p, 'idempotency key rebuilt');
      if (o.clientOrderId !== null) assert.equal(b.byClientOrderId(o.accountId, o.clientOrderId), p);
    }
  }

  it('replaying the records gives the live state (orders, keys, events, exposure, counters)', () => {
    const live = newBook();
    const recs = history(live);
    const rebuilt = newBook();
    for (const r of recs) assert.equal(rebuilt.applyRecord(r.seq, r.type, r.payload, T0 + 1000), 'applied');
    sameState(live, rebuilt);
    assert.equal(rebuilt.applyRecord(999, 200, 'whatever', T0), 'ignored', 'other producers’ records are skipped');
    const dup = recs[0]!;
    assert.match((rebuilt.applyRecord(dup.seq, dup.type, dup.payload, T0) as { anomaly: string }).anomaly, /accepted twice/);
  });

  it('does not bring back keys whose TTL passed while the gateway was down', () => {
    const live = newBook();
    const recs = history(live);
    const rebuilt = newBook();
    for (const r of recs) rebuilt.applyRecord(r.seq, r.type, r.payload, T0 + 2 * HOUR);
    assert.equal(rebuilt.idem.size, 0);
    assert.equal(rebuilt.store.size, 20);
  });

  it('a snapshot plus the records after it gives the same state as the whole journal', () => {
    const live = newBook();
    const recs = history(live);
    const cut = 23;
    // Snapshot of a book that has applied the first `cut` records.
    const part = newBook();
    for (const r of recs.slice(0, cut)) part.applyRecord(r.seq, r.type, r.payload, T0 + 1000);
    const cursor = new SnapshotCursor(part, recs[cut - 1]!.seq);
    // Events added after the cursor was created are not in the snapshot.
    part.applyRecord(recs[cut]!.seq, recs[cut]!.type, recs[cut]!.payload, T0 + 1000);
    let text = '';
    while (!cursor.done) text += cursor.next(4);
    const restored = newBook();
    const res = loadSnapshot(restored, Buffer.from(text), T0 + 1000);
    assert.equal(res.header.seq, recs[cut - 1]!.seq);
    assert.equal(res.events, cut);
    assert.deepEqual(res.anomalies, []);
    for (const r of recs.slice(cut)) assert.equal(restored.applyRecord(r.seq, r.type, r.payload, T0 + 1000), 'applied');
    sameState(live, restored);
    assert.throws(() => loadSnapshot(newBook(), Buffer.from('{"v":99}\n'), T0), /unsupported snapshot version/);
  });
});

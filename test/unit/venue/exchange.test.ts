import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { SimHarness, T0_US, order, simSettings } from './sim-helpers.js';

// Defaults: spread 2 ⇒ AAPL bid 14999 / ask 15001, 5 levels of 100, latency 100 µs.
const quiet = simSettings({ walkStepTicks: 0, walkIntervalMs: 3_600_000 });

describe('simulator: new orders', () => {
  it('acks after the latency, then fills a crossing order completely across levels', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ qty: 150, price: 15_010 }), h.nowUs);
    h.tick(99);
    assert.equal(h.reports.length, 0, 'nothing before the latency');
    h.tick(1);
    const r = h.of('o1');
    assert.deepEqual(r.map((x) => [x.execType, x.ordStatus, x.lastQty, x.lastPx, x.cumQty, x.leavesQty]), [
      ['NEW', 'NEW', 0, 0, 0, 150],
      ['TRADE', 'PARTIALLY_FILLED', 100, 15_001, 100, 50],
      ['TRADE', 'FILLED', 50, 15_002, 150, 0],
    ]);
    assert.equal(r[2]!.avgPx, (100 * 15_001 + 50 * 15_002) / 150);
    assert.equal(r[0]!.transactTime, Math.floor((T0_US + 100) / 1000));
    assert.equal(new Set(r.map((x) => x.execId)).size, 3);
    assert.ok(r.every((x) => x.execId.startsWith('run1-') && x.venueOrderId === r[0]!.venueOrderId && !x.possDup));
  });

  it('a market order takes liquidity; its unfillable remainder is CANCELED (NO_LIQUIDITY)', () => {
    const h = new SimHarness(simSettings({ walkStepTicks: 0, walkIntervalMs: 3_600_000, lpLevels: 2, lpDepth: 10 }));
    h.ex.submit('', order({ type: OrdType.Market, price: 0, qty: 30, side: Side.Sell }), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.of('o1').map((x) => [x.execType, x.ordStatus, x.lastQty, x.lastPx, x.cumQty, x.text]), [
      ['NEW', 'NEW', 0, 0, 0, null],
      ['TRADE', 'PARTIALLY_FILLED', 10, 14_999, 10, null],
      ['TRADE', 'PARTIALLY_FILLED', 10, 14_998, 20, null],
      ['CANCELED', 'CANCELED', 0, 0, 20, 'NO_LIQUIDITY'],
    ]);
  });

  it('a market order in a symbol without a reference price is rejected', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ symbol: 'ZZZ', type: OrdType.Market, price: 0 }), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.of('o1').map((x) => [x.execType, x.ordStatus, x.text]), [['REJECTED', 'REJECTED', 'UNKNOWN_SYMBOL']]);
  });

  it('rejects the configured share of orders, deterministically by seed', () => {
    const run = (seed: number): string[] => {
      const h = new SimHarness(simSettings({ ...quiet, rejectPct: 50, seed }));
      for (let i = 0; i < 40; i++) h.ex.submit('', order({ clOrdId: `c${i}`, price: 14_000 }), h.nowUs);
      h.tick(100);
      return h.reports.filter((r) => r.execType === 'REJECTED').map((r) => r.clOrdId);
    };
    const a = run(7);
    assert.deepEqual(run(7), a);
    assert.ok(a.length > 5 && a.length < 35, `about half rejected, got ${a.length}`);
    assert.notDeepEqual(run(8), a);
    const h = new SimHarness(simSettings({ ...quiet, rejectPct: 100 }));
    h.ex.submit('', order(), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.of('o1').map((x) => [x.execType, x.ordStatus, x.text, x.leavesQty]), [['REJECTED', 'REJECTED', 'VENUE_REJECT', 0]]);
  });

  it('ignores a duplicate clOrdId (a resent order never trades twice)', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ price: 15_001, qty: 10 }), h.nowUs);
    h.ex.submit('', order({ price: 15_001, qty: 10 }), h.nowUs);
    h.tick(100);
    assert.equal(h.of('o1').filter((r) => r.execType === 'TRADE').length, 1);
  });

  it('rejects invalid orders and GTD orders already expired', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ clOrdId: 'a', qty: 0 }), h.nowUs);
    h.ex.submit('', order({ clOrdId: 'b', timeInForce: TimeInForce.GTD, expireAt: T0_US / 1000 - 1 }), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.reports.map((r) => [r.clOrdId, r.execType, r.text]), [
      ['a', 'REJECTED', 'INVALID_ORDER'],
      ['b', 'REJECTED', 'EXPIRE_TIME_IN_PAST'],
    ]);
  });
});

describe('simulator: cancels, status, expiry', () => {
  it('CANCELED only when the cancel is processed, with the fills so far', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ price: 14_990 }), h.nowUs);
    h.tick(100);
    h.ex.cancel('', order({ price: 14_990 }), h.nowUs);
    h.tick(50);
    assert.deepEqual(h.of('o1').map((r) => r.execType), ['NEW']);
    h.tick(50);
    assert.deepEqual(h.of('o1').map((r) => [r.execType, r.ordStatus, r.leavesQty]), [
      ['NEW', 'NEW', 100],
      ['CANCELED', 'CANCELED', 0],
    ]);
  });

  it('cancel of an unknown or finished order is rejected', () => {
    const h = new SimHarness(quiet);
    h.ex.cancel('', order({ clOrdId: 'nope' }), h.nowUs);
    h.ex.submit('', order({ clOrdId: 'f', qty: 5, price: 15_001 }), h.nowUs);
    h.ex.cancel('', order({ clOrdId: 'f' }), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.rejects.map((r) => [r.clOrdId, r.reason]), [
      ['nope', 'UNKNOWN_ORDER'],
      ['f', 'TOO_LATE_TO_CANCEL'],
    ]);
  });

  it('answers status requests, UNKNOWN for an order it never saw', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('', order({ qty: 150, price: 15_001 }), h.nowUs);
    h.ex.status('', order(), h.nowUs);
    h.ex.status('', order({ clOrdId: 'ghost' }), h.nowUs);
    h.tick(100);
    const st = h.reports.filter((r) => r.execType === 'ORDER_STATUS');
    assert.deepEqual(st.map((r) => [r.clOrdId, r.ordStatus, r.cumQty, r.leavesQty, r.avgPx]), [
      ['o1', 'PARTIALLY_FILLED', 100, 50, 15_001],
      ['ghost', 'UNKNOWN', 0, 0, 0],
    ]);
  });

  it('a GTD order expires at expireAt on the injected clock', () => {
    const h = new SimHarness(quiet);
    const expireAt = T0_US / 1000 + 5_000;
    h.ex.submit('', order({ price: 14_000, timeInForce: TimeInForce.GTD, expireAt }), h.nowUs);
    h.tick(100);
    assert.equal(h.ex.nextDueUs(), expireAt * 1000);
    h.tick(expireAt * 1000 - h.nowUs - 1);
    assert.deepEqual(h.of('o1').map((r) => r.execType), ['NEW']);
    h.tick(1);
    assert.deepEqual(h.of('o1').map((r) => [r.execType, r.ordStatus, r.leavesQty, r.transactTime]), [
      ['NEW', 'NEW', 100, Math.floor((T0_US + 100) / 1000)],
      ['EXPIRED', 'EXPIRED', 0, expireAt],
    ]);
  });

  it('cancel-on-disconnect cancels every working order of one owner only', () => {
    const h = new SimHarness(quiet);
    h.ex.submit('A', order({ clOrdId: 'a1', price: 14_000 }), h.nowUs);
    h.ex.submit('B', order({ clOrdId: 'b1', price: 14_000 }), h.nowUs);
    h.tick(100);
    assert.equal(h.ex.cancelAllOf('A', 'CANCEL_ON_DISCONNECT', h.nowUs), 1);
    h.tick(0);
    assert.deepEqual(h.reports.filter((r) => r.execType === 'CANCELED').map((r) => [r.clOrdId, r.text]), [['a1', 'CANCEL_ON_DISCONNECT']]);
    assert.equal(h.ex.openOrders, 1);
  });

  it('fill latency delays TRADE reports, and no report overtakes another', () => {
    const h = new SimHarness(simSettings({ ...quiet, fillLatencyUs: 1000 }));
    h.ex.submit('', order({ clOrdId: 'x', qty: 10, price: 15_001 }), h.nowUs);
    h.ex.status('', order({ clOrdId: 'x' }), h.nowUs);
    h.tick(100);
    assert.deepEqual(h.reports.map((r) => r.execType), ['NEW']);
    h.tick(999);
    assert.deepEqual(h.reports.map((r) => r.execType), ['NEW']);
    h.tick(1);
    assert.deepEqual(h.reports.map((r) => r.execType), ['NEW', 'TRADE', 'ORDER_STATUS']);
  });
});

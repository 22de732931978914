/** Application of venue execution reports: idempotent, increase-only fills, FIX statuses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyReport, cancelRefused, type OrderState } from '../../../src/execution/reports.js';
import type { VenueReport } from '../../../src/venue/venue.js';

function report(over: Partial<VenueReport>): VenueReport {
  return {
    venue: 'sim',
    clOrdId: 'o1',
    venueOrderId: 'v1',
    execId: 'e1',
    execType: 'TRADE',
    ordStatus: 'PARTIALLY_FILLED',
    lastQty: 0,
    lastPx: 0,
    cumQty: 0,
    leavesQty: 100,
    avgPx: 0,
    text: null,
    transactTime: 1,
    possDup: false,
    ...over,
  };
}

const fresh = (): OrderState => ({ status: 'ACCEPTED', qty: 100, cumQty: 0, notional: 0 });

function apply(o: OrderState, r: VenueReport) {
  const a = applyReport(o, r);
  if (typeof a === 'string') return a;
  o.status = a.status;
  o.cumQty = a.cumQty;
  o.notional = a.notional;
  return a;
}

describe('execution reports', () => {
  it('a crossing order fills completely in one report', () => {
    const o = fresh();
    const a = apply(o, report({ ordStatus: 'FILLED', lastQty: 100, lastPx: 15003, cumQty: 100, avgPx: 15003, leavesQty: 0 }));
    assert.ok(typeof a === 'object');
    assert.equal(a.status, 'FILLED');
    assert.equal(a.fillQty, 100);
    assert.equal(a.fillPx, 15003);
  });

  it('partial fills over several reports; only the increase of cumQty is a fill', () => {
    const o = fresh();
    const a1 = apply(o, report({ execId: 'e1', lastQty: 30, lastPx: 15001, cumQty: 30, avgPx: 15001 }));
    assert.ok(typeof a1 === 'object' && a1.status === 'PARTIALLY_FILLED' && a1.fillQty === 30);
    // the same report again (a resend, possDup or not): nothing
    assert.equal(apply(o, report({ execId: 'e1', lastQty: 30, lastPx: 15001, cumQty: 30, avgPx: 15001, possDup: true })), 'NO_CHANGE');
    // a stale report (lower cumQty) after a newer one: nothing
    const a2 = apply(o, report({ execId: 'e2', lastQty: 50, lastPx: 15002, cumQty: 80, avgPx: (30 * 15001 + 50 * 15002) / 80 }));
    assert.ok(typeof a2 === 'object' && a2.fillQty === 50 && a2.fillPx === 15002);
    assert.equal(apply(o, report({ execId: 'e1', lastQty: 30, cumQty: 30 })), 'NO_CHANGE');
    const a3 = apply(o, report({ execId: 'e3', ordStatus: 'FILLED', lastQty: 20, lastPx: 15000, cumQty: 100, leavesQty: 0, avgPx: 15001.2 }));
    assert.ok(typeof a3 === 'object' && a3.status === 'FILLED' && a3.fillQty === 20);
    assert.equal(o.notional, 30 * 15001 + 50 * 15002 + 20 * 15000);
    assert.equal(apply(o, report({ execId: 'e4', ordStatus: 'CANCELED', cumQty: 100 })), 'TERMINAL');
  });

  it('a coalesced report (lastQty is not the increase) is priced from the average', () => {
    const o = fresh();
    apply(o, report({ lastQty: 10, lastPx: 100, cumQty: 10, avgPx: 100 }));
    // 30 more arrived in one status answer: avgPx 110 over 40 → the 30 cost (4400 - 1000) / 30
    const a = apply(o, report({ execType: 'ORDER_STATUS', lastQty: 0, lastPx: 0, cumQty: 40, avgPx: 110 }));
    assert.ok(typeof a === 'object');
    assert.equal(a.fillQty, 30);
    assert.ok(Math.abs(a.fillPx - 3400 / 30) < 1e-9);
  });

  it('CANCELED only when the venue says so; a fill while the cancel is pending', () => {
    const o: OrderState = { status: 'CANCEL_REQUESTED', qty: 100, cumQty: 0, notional: 0 };
    assert.equal(apply(o, report({ execType: 'NEW', ordStatus: 'NEW', cumQty: 0 })), 'NO_CHANGE');
    const f = apply(o, report({ lastQty: 10, lastPx: 5, cumQty: 10, avgPx: 5 }));
    assert.ok(typeof f === 'object' && f.status === 'PARTIALLY_FILLED');
    const c = apply(o, report({ execType: 'CANCELED', ordStatus: 'CANCELED', cumQty: 10 }));
    assert.ok(typeof c === 'object' && c.status === 'CANCELED' && c.fillQty === 0);
  });

  it('venue reject, expiry, and an order the venue does not know', () => {
    const r = apply(fresh(), report({ execType: 'REJECTED', ordStatus: 'REJECTED', text: 'RISK' }));
    assert.ok(typeof r === 'object' && r.status === 'REJECTED' && r.reason === 'RISK');
    const x = apply(fresh(), report({ execType: 'EXPIRED', ordStatus: 'EXPIRED' }));
    assert.ok(typeof x === 'object' && x.status === 'EXPIRED');
    const u = apply(fresh(), report({ execType: 'ORDER_STATUS', ordStatus: 'UNKNOWN' }));
    assert.ok(typeof u === 'object' && u.status === 'CANCELED' && u.reason === 'VENUE_UNKNOWN_ORDER');
    const partial: OrderState = { status: 'PARTIALLY_FILLED', qty: 100, cumQty: 5, notional: 50 };
    const pr = apply(partial, report({ execType: 'REJECTED', ordStatus: 'REJECTED', cumQty: 5 }));
    assert.ok(typeof pr === 'object' && pr.status === 'CANCELED', 'a reject after fills ends the order as cancelled, its fills kept');
  });

  it('refuses a report filling more than the order', () => {
    assert.equal(apply(fresh(), report({ cumQty: 101, lastQty: 101, lastPx: 1 })), 'OVERFILL');
  });

  it('a refused cancel makes the order working again', () => {
    assert.equal(cancelRefused({ status: 'CANCEL_REQUESTED', qty: 10, cumQty: 0, notional: 0 }), 'ACCEPTED');
    assert.equal(cancelRefused({ status: 'CANCEL_REQUESTED', qty: 10, cumQty: 3, notional: 0 }), 'PARTIALLY_FILLED');
  });
});

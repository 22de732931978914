import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { parseSimSettings, type SimSettings } from '../../../src/config/venues.js';
import { SimVenue } from '../../../src/venue/sim/sim-venue.js';
import type { VenueOrder } from '../../../src/venue/venue.js';
import { Collector } from './collector.js';

const REFS = new Map([['AAPL', 15_000], ['MSFT', 42_000]]);

function settings(over: Partial<SimSettings> = {}): SimSettings {
  return { ...parseSimSettings({}, 'VENUE_SIM_'), ...over };
}

let n = 0;
function order(over: Partial<VenueOrder> = {}): VenueOrder {
  return { clOrdId: `c${++n}`, accountId: 'acct-1', symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTC, expireAt: 0, ...over };
}

describe('SimVenue (worker thread) end to end', { timeout: 60_000 }, () => {
  const ev = new Collector();
  // the price does not move: only crossing orders trade
  const venue = new SimVenue('sim', settings({ walkStepTicks: 0 }), REFS);
  before(() => venue.start(ev));
  after(() => venue.close());

  it('reports UP once the worker is ready', () => {
    assert.deepEqual(ev.sessions.map((s) => s.state), ['CONNECTING', 'UP']);
  });

  it('a crossing order fills completely', async () => {
    const o = order({ qty: 150, price: 15_010 });
    venue.send(o);
    await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.ordStatus === 'FILLED');
    assert.deepEqual(ev.of(o.clOrdId).map((r) => [r.venue, r.execType, r.ordStatus, r.lastQty, r.lastPx, r.cumQty, r.leavesQty]), [
      ['sim', 'NEW', 'NEW', 0, 0, 0, 150],
      ['sim', 'TRADE', 'PARTIALLY_FILLED', 100, 15_001, 100, 50],
      ['sim', 'TRADE', 'FILLED', 50, 15_002, 150, 0],
    ]);
  });

  it('cancel of a resting order becomes CANCELED only on the venue\'s confirmation', async () => {
    const o = order({ price: 14_000 });
    venue.send(o);
    const ack = await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.execType === 'NEW');
    venue.cancel(o);
    assert.equal(ev.of(o.clOrdId).length, 1, 'the adapter never reports a cancel by itself');
    const c = await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.execType === 'CANCELED');
    assert.equal(c.ordStatus, 'CANCELED');
    assert.equal(c.leavesQty, 0);
    assert.equal(c.venueOrderId, ack.venueOrderId);
    assert.notEqual(c.execId, ack.execId);
  });

  it('a cancel of an unknown order is a cancel reject', async () => {
    const o = order();
    venue.cancel(o);
    await ev.until(() => ev.rejects.some((r) => r.clOrdId === o.clOrdId));
    assert.deepEqual(ev.rejects.find((r) => r.clOrdId === o.clOrdId), { venue: 'sim', clOrdId: o.clOrdId, reason: 'UNKNOWN_ORDER' });
  });

  it('status request: the order\'s state, or UNKNOWN', async () => {
    const o = order({ symbol: 'MSFT', qty: 150, price: 42_001 });
    const ghost = order();
    venue.send(o);
    venue.requestStatus(o);
    venue.requestStatus(ghost);
    const st = await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.execType === 'ORDER_STATUS');
    assert.deepEqual([st.ordStatus, st.cumQty, st.leavesQty, st.avgPx], ['PARTIALLY_FILLED', 100, 50, 42_001]);
    const g = await ev.untilReport((r) => r.clOrdId === ghost.clOrdId);
    assert.deepEqual([g.execType, g.ordStatus, g.cumQty], ['ORDER_STATUS', 'UNKNOWN', 0]);
  });

  it('takes a burst of orders made in one turn (one batch) and answers every one', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const o = order({ price: 14_000 + (i % 50), symbol: i % 2 ? 'AAPL' : 'MSFT' });
      ids.push(o.clOrdId);
      venue.send(o);
    }
    const want = new Set(ids);
    await ev.until(() => ev.reports.filter((r) => want.has(r.clOrdId) && r.execType === 'NEW').length === ids.length);
    const execIds = new Set(ev.reports.map((r) => r.execId));
    assert.equal(execIds.size, ev.reports.length, 'execIds are unique');
  });
});

describe('SimVenue: partial fills over time, rejects, worker loss', { timeout: 60_000 }, () => {
  it('a resting order fills partially over several reports as the price walks', async () => {
    const ev = new Collector();
    const v = new SimVenue('sim', settings({ seed: 11, lpDepth: 30, walkIntervalMs: 2 }), REFS);
    await v.start(ev);
    try {
      const o = order({ qty: 150, price: 15_000 });
      v.send(o);
      await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.ordStatus === 'FILLED');
      const trades = ev.of(o.clOrdId).filter((r) => r.execType === 'TRADE');
      assert.ok(trades.length >= 5, `at least 5 fills of at most 30, got ${trades.length}`);
      assert.deepEqual(trades.map((t) => t.cumQty), trades.map((_, i) => trades.slice(0, i + 1).reduce((s, t) => s + t.lastQty, 0)));
      assert.ok(trades.every((t) => t.lastPx === 15_000 && t.lastQty <= 30));
    } finally {
      await v.close();
    }
  });

  it('a venue reject', async () => {
    const ev = new Collector();
    const v = new SimVenue('rej', settings({ rejectPct: 100 }), REFS);
    await v.start(ev);
    try {
      const o = order();
      v.send(o);
      const r = await ev.untilReport((x) => x.clOrdId === o.clOrdId);
      assert.deepEqual([r.venue, r.execType, r.ordStatus, r.text, r.leavesQty], ['rej', 'REJECTED', 'REJECTED', 'VENUE_REJECT', 0]);
    } finally {
      await v.close();
    }
  });

  it('when the worker dies its open orders are gone: DOWN, UP again, status UNKNOWN, fresh execIds', async () => {
    const ev = new Collector();
    const v = new SimVenue('sim', settings({ walkStepTicks: 0 }), REFS, { restartMinMs: 10 });
    await v.start(ev);
    try {
      const o = order({ price: 14_000 });
      v.send(o);
      const ack = await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.execType === 'NEW');
      await v.killWorker();
      await ev.until(() => ev.sessions.filter((s) => s.state === 'UP').length === 2);
      assert.deepEqual(ev.sessions.map((s) => s.state), ['CONNECTING', 'UP', 'DOWN', 'CONNECTING', 'UP']);
      v.requestStatus(o);
      const st = await ev.untilReport((r) => r.clOrdId === o.clOrdId && r.execType === 'ORDER_STATUS');
      assert.equal(st.ordStatus, 'UNKNOWN');
      assert.notEqual(st.execId.split('-')[0], ack.execId.split('-')[0], 'a new run id prefixes the new worker\'s execIds');
    } finally {
      await v.close();
    }
    assert.equal(ev.sessions.at(-1)!.state, 'DOWN');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Side } from '../../../src/contract/order.js';
import { OrderBook } from '../../../src/venue/sim/book.js';
import { LiquidityProvider } from '../../../src/venue/sim/liquidity.js';
import { Rng } from '../../../src/venue/sim/rng.js';
import { SimHarness, order, simSettings } from './sim-helpers.js';

const none = { fill: (): void => undefined };

describe('seeded PRNG', () => {
  it('is reproducible and pinned', () => {
    const a = new Rng(42);
    const seq = [a.nextU32(), a.nextU32(), a.nextU32()];
    const b = new Rng(42);
    assert.deepEqual([b.nextU32(), b.nextU32(), b.nextU32()], seq);
    assert.deepEqual(seq, [2581720956, 1925393290, 3661312704]);
    const r = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const x = r.int(-2, 2);
      assert.ok(x >= -2 && x <= 2 && Number.isInteger(x));
    }
  });
});

describe('liquidity provider', () => {
  it('quotes levels on both sides around the reference price', () => {
    const book = new OrderBook('AAPL');
    const lp = new LiquidityProvider(book, simSettings({ lpSpreadTicks: 4, lpLevels: 3, lpLevelStepTicks: 2, lpDepth: 7 }), 15_000);
    lp.requote(none);
    assert.equal(book.bestBid(), 14_998);
    assert.equal(book.bestAsk(), 15_002);
    for (const p of [14_998, 14_996, 14_994]) assert.equal(book.depthAt(Side.Buy, p), 7);
    for (const p of [15_002, 15_004, 15_006]) assert.equal(book.depthAt(Side.Sell, p), 7);
    lp.requote(none);
    assert.equal(book.depthAt(Side.Sell, 15_002), 7, 'requoting replaces, never stacks');
  });

  it('walks the reference price by at most the step, reproducibly by seed', () => {
    const path = (seed: number): number[] => {
      const lp = new LiquidityProvider(new OrderBook('AAPL'), simSettings({ walkStepTicks: 3 }), 15_000);
      const rng = new Rng(seed);
      const out: number[] = [];
      for (let i = 0; i < 200; i++) {
        const before = lp.ref;
        lp.walk(rng, none);
        assert.ok(Math.abs(lp.ref - before) <= 3);
        out.push(lp.ref);
      }
      return out;
    };
    assert.deepEqual(path(9), path(9));
    assert.notDeepEqual(path(9), path(10));
  });

  it('a resting order fills partially over several reports as the price walks', () => {
    const h = new SimHarness(simSettings({ seed: 3, lpDepth: 40, walkStepTicks: 1, walkIntervalMs: 100 }));
    h.ex.submit('', order({ qty: 200, price: 15_000 }), h.nowUs);
    for (let i = 0; i < 2000 && h.of('o1').at(-1)?.ordStatus !== 'FILLED'; i++) h.tick(100_000);
    const trades = h.of('o1').filter((r) => r.execType === 'TRADE');
    assert.ok(trades.length >= 5, `several fills, got ${trades.length}`);
    assert.ok(trades.every((t) => t.lastQty <= 40 && t.lastPx === 15_000), 'at most one level per refresh, at the order\'s price');
    const times = new Set(trades.map((t) => t.transactTime));
    assert.ok(times.size >= 2, 'fills spread over time');
    assert.equal(trades.at(-1)!.ordStatus, 'FILLED');
    assert.equal(trades.reduce((s, t) => s + t.lastQty, 0), 200);
    let cum = 0;
    for (const t of trades) {
      cum += t.lastQty;
      assert.equal(t.cumQty, cum);
      assert.equal(t.leavesQty, 200 - cum);
    }
  });

  it('the whole simulator is deterministic given seed, run id and clock', () => {
    const run = (seed: number): string => {
      const h = new SimHarness(simSettings({ seed, rejectPct: 10 }), { AAPL: 15_000, MSFT: 42_000 });
      for (let i = 0; i < 50; i++) {
        h.ex.submit('', order({ clOrdId: `a${i}`, qty: 30 + i, price: 14_995 + (i % 10), side: i % 2 ? Side.Sell : Side.Buy }), h.nowUs);
        h.ex.submit('', order({ clOrdId: `m${i}`, symbol: 'MSFT', qty: 10, price: 42_000 }), h.nowUs);
        h.tick(37_000);
      }
      for (let i = 0; i < 100; i++) h.tick(100_000);
      return JSON.stringify(h.reports);
    };
    assert.equal(run(5), run(5));
    assert.notEqual(run(5), run(6));
  });
});

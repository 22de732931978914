import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type RiskConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const T0 = Date.UTC(2026, 0, 5, 12);

function riskConfig(env: Record<string, string> = {}, accounts?: RiskConfig['accounts']): RiskConfig {
  const r = loadConfig(env).risk;
  return accounts ? { ...r, accounts } : r;
}

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

describe('risk engine: limits (every profile)', () => {
  const eng = new RiskEngine(riskConfig({ V3_RISK_RESTRICTED_SYMBOLS: 'NVDA' }));
  const a = eng.account('acct-1', T0);
  it('accepts the canonical order', () => assert.equal(eng.evaluate(a, order(), T0), null));
  it('rejects symbols outside the master', () => assert.equal(eng.evaluate(a, order({ symbol: 'ZZZ' }), T0), 'INVALID_SYMBOL'));
  it('rejects restricted symbols', () => assert.equal(eng.evaluate(a, order({ symbol: 'NVDA', price: 14000 }), T0), 'SYMBOL_RESTRICTED'));
  it('rejects qty above MAX_ORDER_QTY', () => assert.equal(eng.evaluate(a, order({ qty: 10_001 }), T0), 'INVALID_QTY'));
  it('rejects prices outside the collar', () => {
    assert.equal(eng.evaluate(a, order({ price: 16_500 }), T0), null);
    assert.equal(eng.evaluate(a, order({ price: 16_501 }), T0), 'PRICE_COLLAR');
    assert.equal(eng.evaluate(a, order({ price: 13_499 }), T0), 'PRICE_COLLAR');
  });
  it('rejects notional above MAX_NOTIONAL (MARKET valued at the reference price)', () => {
    assert.equal(eng.evaluate(a, order({ symbol: 'BTC', qty: 112, price: 9_000_000 }), T0), 'RISK_REJECT');
    assert.equal(eng.evaluate(a, order({ symbol: 'BTC', qty: 111, price: 9_000_000 }), T0), null);
    assert.equal(eng.evaluate(a, order({ symbol: 'BTC', type: OrdType.Market, price: 0, qty: 112 }), T0), 'RISK_REJECT');
  });
  it('applies per-symbol limits', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_SYMBOL_LIMITS: 'AAPL:50:600000:15000,PENNY:1000' }));
    const acct = e.account('x', T0);
    assert.equal(e.evaluate(acct, order({ qty: 51 }), T0), 'INVALID_QTY');
    assert.equal(e.evaluate(acct, order({ qty: 41 }), T0), 'RISK_REJECT');
    assert.equal(e.evaluate(acct, order({ symbol: 'PENNY', qty: 1000, price: 3 }), T0), null);
  });
  it('accepts well-formed unknown symbols when not strict', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_STRICT_SYMBOLS: '0' }));
    const acct = e.account('x', T0);
    assert.equal(e.evaluate(acct, order({ symbol: 'ZZZ' }), T0), null);
    assert.equal(e.evaluate(acct, order({ symbol: 'toolongsymbol' }), T0), 'INVALID_SYMBOL');
  });
});

describe('risk engine: position, rate, duplicates (medium)', () => {
  it('limits |position + open exposure| per symbol, both sides', () => {
    const limits = loadConfig({}).risk.defaults;
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'medium' }, new Map([['acct-1', { ...limits, maxAbsPositionQty: 250, positions: { AAPL: 100 } }]])));
    const a = e.account('acct-1', T0);
    assert.equal(e.evaluate(a, order({ qty: 150 }), T0), null);
    e.book(a, order({ qty: 150 }), T0); // worst long = 250
    assert.equal(e.evaluate(a, order({ qty: 1 }), T0), 'POSITION_LIMIT');
    assert.equal(e.evaluate(a, order({ side: Side.Sell, qty: 350 }), T0), null); // 100 - 350 = -250
    assert.equal(e.evaluate(a, order({ side: Side.Sell, qty: 351 }), T0), 'POSITION_LIMIT');
  });
  it('releases exposure on cancel', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'medium', V3_RISK_MAX_ABS_POSITION_QTY: '100' }));
    const a = e.account('a', T0);
    const oo = e.book(a, order({ qty: 100 }), T0)!;
    assert.equal(e.evaluate(a, order({ qty: 1 }), T0), 'POSITION_LIMIT');
    e.release(a, oo);
    assert.equal(e.evaluate(a, order({ qty: 100 }), T0), null);
  });
  it('rejects a clientOrderId used by an open order, until it closes', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'medium' }));
    const a = e.account('a', T0);
    const oo = e.book(a, order({ clientOrderId: 'c-1' }), T0)!;
    assert.equal(e.evaluate(a, order({ clientOrderId: 'c-1' }), T0), 'DUPLICATE_CLIENT_ORDER_ID');
    assert.equal(e.evaluate(e.account('b', T0), order({ clientOrderId: 'c-1' }), T0), null, 'per account');
    e.release(a, oo);
    assert.equal(e.evaluate(a, order({ clientOrderId: 'c-1' }), T0), null);
  });
  it('rate-limits with a token bucket that refills', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'medium', RISK_RATE_PER_SEC: '2', RISK_RATE_BURST: '2' }));
    const a = e.account('a', T0);
    for (let i = 0; i < 2; i++) {
      assert.equal(e.evaluate(a, order(), T0), null);
      e.book(a, order(), T0);
    }
    assert.equal(e.evaluate(a, order(), T0), 'RATE_LIMITED');
    assert.equal(e.evaluate(a, order(), T0 + 499), 'RATE_LIMITED');
    assert.equal(e.evaluate(a, order(), T0 + 500), null);
  });
  it('light profile skips position and duplicate checks', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_MAX_ABS_POSITION_QTY: '1' }));
    const a = e.account('a', T0);
    for (let i = 0; i < 5; i++) {
      assert.equal(e.evaluate(a, order({ clientOrderId: 'same' }), T0), null);
      assert.equal(e.book(a, order({ clientOrderId: 'same' }), T0), null);
    }
  });
  for (const profile of ['light', 'medium', 'heavy']) {
    it(`RISK_RATE_PER_SEC applies on the ${profile} profile`, () => {
      const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: profile, RISK_RATE_PER_SEC: '2' }));
      const a = e.account('a', T0);
      for (let i = 0; i < 2; i++) {
        assert.equal(e.evaluate(a, order(), T0), null);
        e.book(a, order(), T0);
      }
      assert.equal(e.evaluate(a, order(), T0), 'RATE_LIMITED');
      assert.equal(e.checkRate(a, T0) ?? e.checkPosition(a, order(), T0), 'RATE_LIMITED');
      assert.equal(e.evaluate(a, order(), T0 + 500), null);
    });
  }
});

describe('risk engine: margin and daily notional (heavy)', () => {
  it('enforces the credit limit against open notional plus positions', () => {
    const limits = loadConfig({}).risk.defaults;
    const accounts = new Map([['a', { ...limits, creditLimit: 3_000_000, positions: { AAPL: 50 } }]]);
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'heavy' }, accounts));
    const a = e.account('a', T0);
    assert.equal(e.creditUsed(a), 750_000); // 50 x 15000
    e.book(a, order({ qty: 100 }), T0); // +1.5M
    assert.equal(e.evaluate(a, order({ qty: 50 }), T0), null); // 3.0M
    assert.equal(e.evaluate(a, order({ qty: 51 }), T0), 'CREDIT_LIMIT');
  });
  it('enforces the daily notional limit and resets it at UTC midnight', () => {
    const e = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'heavy', V3_RISK_DAILY_NOTIONAL_LIMIT: '3000000' }));
    const a = e.account('a', T0);
    const oo1 = e.book(a, order({ qty: 100 }), T0)!;
    const oo2 = e.book(a, order({ qty: 100 }), T0)!;
    e.release(a, oo1);
    e.release(a, oo2); // cancels free credit but not the day's notional
    assert.equal(e.evaluate(a, order({ qty: 1 }), T0), 'DAILY_NOTIONAL_LIMIT');
    assert.equal(e.evaluate(a, order({ qty: 1 }), T0 + 86_400_000), null);
  });
  it('legacy (O(n)) and incremental (O(1)) margin agree on a random order stream', () => {
    const limits = loadConfig({}).risk.defaults;
    const accounts = new Map([['a', { ...limits, creditLimit: 40_000_000, maxAbsPositionQty: 5_000, positions: { MSFT: -20 } }]]);
    const legacy = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'heavy', V3_RISK_MARGIN_MODE: 'legacy' }, accounts));
    const incr = new RiskEngine(riskConfig({ V3_RISK_PROFILE: 'heavy', V3_RISK_MARGIN_MODE: 'incremental' }, accounts));
    const la = legacy.account('a', T0);
    const ia = incr.account('a', T0);
    const open: Array<[ReturnType<RiskEngine['book']>, ReturnType<RiskEngine['book']>]> = [];
    let seed = 42;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const symbols = [['AAPL', 15000], ['MSFT', 42000], ['ETH', 350000]] as const;
    let decisions = 0;
    let rejects = 0;
    for (let i = 0; i < 3000; i++) {
      const action = rnd(10);
      if (action < 6 || open.length === 0) {
        const [symbol, ref] = symbols[rnd(3)]!;
        const market = rnd(5) === 0;
        const o = order({ symbol, side: rnd(2) ? Side.Buy : Side.Sell, qty: 1 + rnd(300), type: market ? OrdType.Market : OrdType.Limit, price: market ? 0 : ref - 500 + rnd(1000) });
        const t = T0 + i;
        const rl = legacy.evaluate(la, o, t);
        const ri = incr.evaluate(ia, o, t);
        assert.equal(rl, ri, `decision ${i}`);
        decisions++;
        if (rl === null) open.push([legacy.book(la, o, t), incr.book(ia, o, t)]);
        else rejects++;
      } else {
        const [l, n] = open.splice(rnd(open.length), 1)[0]!;
        if (action < 8) {
          legacy.release(la, l!);
          incr.release(ia, n!);
        } else {
          const q = 1 + rnd(l!.qty);
          legacy.fill(la, l!, q);
          incr.fill(ia, n!, q);
          if (l!.qty > 0) open.push([l, n]);
        }
      }
      assert.equal(Math.round(legacy.creditUsed(la)), Math.round(incr.creditUsed(ia)), `credit after step ${i}`);
    }
    assert.ok(decisions > 1000 && rejects > 0 && rejects < decisions, `stream exercised both outcomes (${rejects}/${decisions})`);
  });
});

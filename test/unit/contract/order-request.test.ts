import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSemantics, ContractViolation, toNewOrder } from '../../../src/contract/order-request.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';

const base = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 100, price: 15000, timeInForce: 'GTC', clientOrderId: 'c-1' };

function violation(body: unknown): { reason: string; status: number } {
  const r = toNewOrder(body);
  assert.ok(r instanceof ContractViolation, `expected a violation for ${JSON.stringify(body)}`);
  return { reason: r.reason, status: r.status };
}

describe('order_request_v1 contract', () => {
  it('converts a valid body to the domain order', () => {
    const o = toNewOrder(base) as NewOrder;
    assert.deepEqual(o, { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: 'c-1' });
    const m = toNewOrder({ symbol: 'BTC', side: 'SELL', type: 'MARKET', qty: 1, price: null, clientOrderId: null }) as NewOrder;
    assert.equal(m.side, Side.Sell);
    assert.equal(m.type, OrdType.Market);
    assert.equal(m.price, 0);
    assert.equal(m.clientOrderId, null);
    assert.equal(m.timeInForce, TimeInForce.GTC);
  });

  it('maps each violation to a stable reason', () => {
    const cases: Array<[unknown, string, number]> = [
      [[1, 2], 'INVALID_JSON', 400],
      ['text', 'INVALID_JSON', 400],
      [null, 'INVALID_JSON', 400],
      [{ ...base, accountId: 'x' }, 'UNKNOWN_FIELD', 400],
      [{ side: 'BUY', type: 'LIMIT', qty: 1 }, 'MISSING_FIELD', 400],
      [{ ...base, symbol: 7 }, 'INVALID_SYMBOL', 422],
      [{ ...base, symbol: '' }, 'INVALID_SYMBOL', 422],
      [{ ...base, side: 'buy' }, 'INVALID_SIDE', 422],
      [{ ...base, side: 'HOLD' }, 'INVALID_SIDE', 422],
      [{ ...base, type: 'STOP' }, 'INVALID_TYPE', 422],
      [{ ...base, qty: 0 }, 'INVALID_QTY', 422],
      [{ ...base, qty: -5 }, 'INVALID_QTY', 422],
      [{ ...base, qty: 1.5 }, 'INVALID_QTY', 422],
      [{ ...base, qty: '100' }, 'INVALID_QTY', 422],
      [{ ...base, qty: 4294967297 }, 'INVALID_QTY', 422],
      [{ ...base, price: -1 }, 'INVALID_PRICE', 422],
      [{ ...base, price: 1.25 }, 'INVALID_PRICE', 422],
      [{ ...base, timeInForce: 'IOC' }, 'INVALID_TIME_IN_FORCE', 422],
      [{ ...base, timeInForce: null }, 'INVALID_TIME_IN_FORCE', 422],
      [{ ...base, expireAt: 'tomorrow' }, 'INVALID_EXPIRE_AT', 422],
      [{ ...base, clientOrderId: 'a b' }, 'INVALID_CLIENT_ORDER_ID', 422],
      [{ ...base, clientOrderId: 'x'.repeat(65) }, 'INVALID_CLIENT_ORDER_ID', 422],
    ];
    for (const [body, reason, status] of cases) assert.deepEqual(violation(body), { reason, status }, JSON.stringify(body));
  });

  it('checks cross-field rules', () => {
    const now = 1_000_000;
    const ok = toNewOrder(base) as NewOrder;
    assert.equal(checkSemantics(ok, now), null);
    assert.equal(checkSemantics({ ...ok, price: 0 }, now), 'INVALID_PRICE');
    assert.equal(checkSemantics({ ...ok, type: OrdType.Market, price: 100 }, now), 'INVALID_PRICE');
    assert.equal(checkSemantics({ ...ok, type: OrdType.Market, price: 0 }, now), null);
    assert.equal(checkSemantics({ ...ok, timeInForce: TimeInForce.GTD, expireAt: 0 }, now), 'INVALID_EXPIRE_AT');
    assert.equal(checkSemantics({ ...ok, timeInForce: TimeInForce.GTD, expireAt: now }, now), 'INVALID_EXPIRE_AT');
    assert.equal(checkSemantics({ ...ok, timeInForce: TimeInForce.GTD, expireAt: now + 1 }, now), null);
    assert.equal(checkSemantics({ ...ok, expireAt: now + 1 }, now), 'INVALID_EXPIRE_AT');
  });
});

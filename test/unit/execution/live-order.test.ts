/** A live order is its own VenueOrder, and its flags are independent of one another. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrdType, Side, TimeInForce, type NewOrder } from '../../../src/contract/order.js';
import { LiveOrder } from '../../../src/execution/live-order.js';
import { pushRequest, REQ_NEW, REQ_SLOTS, type Slot } from '../../../src/venue/link/protocol.js';

const limit: NewOrder = { symbol: 'AAPL', side: Side.Sell, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000, clientOrderId: 'c-1' };
const market: NewOrder = { ...limit, type: OrdType.Market, price: 0, timeInForce: TimeInForce.GTC, expireAt: 0 };

const live = (r: NewOrder): LiveOrder => new LiveOrder('17', 'acct-1', 's-1', r, 'sim', null, null, 17, 0, 0);

describe('LiveOrder', () => {
  it('carries what the venue is sent, without a copy of the request', () => {
    const o = live(limit);
    assert.deepEqual(
      { clOrdId: o.clOrdId, accountId: o.accountId, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty, price: o.price, timeInForce: o.timeInForce, expireAt: o.expireAt },
      { clOrdId: '17', accountId: 'acct-1', symbol: 'AAPL', side: Side.Sell, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000 },
    );
    assert.equal(live({ ...market, price: 123 }).price, 0, 'a market order goes out without a price');
  });

  it('is encoded for the venue worker like a plain VenueOrder', () => {
    const o = live(limit);
    const viaGetters: Slot[] = [];
    const plain: Slot[] = [];
    pushRequest(viaGetters, REQ_NEW, o);
    pushRequest(plain, REQ_NEW, { clOrdId: '17', accountId: 'acct-1', symbol: 'AAPL', side: Side.Sell, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000 });
    assert.equal(viaGetters.length, REQ_SLOTS);
    assert.deepEqual(viaGetters, plain);
  });

  it('keeps each flag on its own bit', () => {
    const names = ['sent', 'cancelBeforeSend', 'acked', 'restored', 'resent', 'firstFillSeen'] as const;
    for (const name of names) {
      const o = live(limit);
      for (const n of names) assert.equal(o[n], false, `${n} starts false`);
      o[name] = true;
      for (const n of names) assert.equal(o[n], n === name, `${name} set: ${n}`);
      o[name] = true;
      assert.equal(o[name], true, 'setting twice keeps it set');
      o[name] = false;
      for (const n of names) assert.equal(o[n], false, `${name} cleared: ${n}`);
    }
    const o = live(limit);
    o.sent = true;
    o.acked = true;
    o.sent = false;
    assert.equal(o.acked, true, 'clearing one flag leaves the others');
  });
});

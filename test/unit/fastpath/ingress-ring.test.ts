import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { IdempotencyWindow } from '../../../src/fastpath/idempotency-window.js';
import { allocateRing, emptyRecord, PushResult, RingConsumer, RingProducer } from '../../../src/fastpath/ingress-ring.js';

const o = { symbol: 'AAPL', side: Side.Sell, type: OrdType.Limit, qty: 4_000_000_000, price: 15000, timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000, clientOrderId: 'cl-9' };

describe('ingress ring', () => {
  it('carries every field of a record', () => {
    const b = allocateRing(4);
    const p = new RingProducer(b);
    const c = new RingConsumer(b);
    assert.equal(p.push(7, 3, 123456789, 'acct-1', 'sess-1', o), PushResult.Ok);
    assert.equal(c.available(), 1);
    assert.deepEqual(c.peek(emptyRecord()), {
      orderNo: 7, sessionSeq: 3, receivedAtNs: 123456789, price: 15000, expireAt: 1_900_000_000_000, qty: 4_000_000_000,
      side: Side.Sell, type: OrdType.Limit, timeInForce: TimeInForce.GTD, symbol: 'AAPL', accountId: 'acct-1', sessionId: 'sess-1', clientOrderId: 'cl-9',
    });
    c.release(1);
    assert.equal(p.depth(), 0);
    assert.equal(p.processed, 1);
  });

  it('refuses when full, accepts again after the consumer frees slots, across wrap-around', () => {
    const b = allocateRing(3);
    const p = new RingProducer(b);
    const c = new RingConsumer(b);
    const rec = emptyRecord();
    let next = 1;
    let expect = 1;
    for (let round = 0; round < 10; round++) {
      while (p.push(next, next, 0, 'a', 's', { ...o, clientOrderId: null }) === PushResult.Ok) next++;
      assert.equal(p.depth(), 3);
      const n = c.available();
      for (let i = 0; i < n; i++) {
        assert.equal(c.peek(rec).orderNo, expect);
        assert.equal(rec.clientOrderId, null);
        c.release(1);
        expect++;
      }
    }
    assert.equal(next, 31);
  });

  it('refuses after close', () => {
    const b = allocateRing(4);
    const p = new RingProducer(b);
    p.close();
    assert.equal(p.push(1, 1, 0, 'a', 's', o), PushResult.Closed);
    assert.equal(new RingConsumer(b).closed, true);
  });
});

describe('idempotency window', () => {
  it('remembers answers and evicts the oldest beyond capacity', () => {
    const w = new IdempotencyWindow(2);
    w.remember('a\nk1', 'b1', 'r1');
    w.remember('a\nk2', 'b2', 'r2');
    assert.deepEqual(w.get('a\nk1'), { body: 'b1', response: 'r1' });
    w.remember('a\nk3', 'b3', 'r3');
    assert.equal(w.get('a\nk1'), undefined);
    assert.equal(w.size, 2);
    assert.equal(IdempotencyWindow.key('acct', 'k'), 'acct\nk');
  });
  it('keeps nothing with capacity 0', () => {
    const w = new IdempotencyWindow(0);
    w.remember('k', 'b', 'r');
    assert.equal(w.size, 0);
  });
});

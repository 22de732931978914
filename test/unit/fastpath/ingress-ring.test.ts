import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { CONFLICT, IdempotencyWindow, MISS } from '../../../src/fastpath/idempotency-window.js';
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
  it('remembers answers per account and evicts the oldest beyond capacity', () => {
    const w = new IdempotencyWindow(2);
    w.remember('a', 'k1', 'body-1', '"s"', 1, 101, 5000);
    w.remember('a', 'k2', 'body-2', '"s"', 2, 102, 6000);
    const slot = w.lookup('a', 'k1', 'body-1');
    assert.ok(slot >= 0);
    assert.deepEqual([w.sessionIdJson(slot), w.sessionSeq(slot), w.orderNo(slot), w.receivedAtNs(slot)], ['"s"', 1, 101, 5000]);
    assert.equal(w.lookup('b', 'k1', 'body-1'), MISS, 'keys are per account');
    assert.equal(w.lookup('a', 'k1', 'body-X'), CONFLICT, 'same length, other body');
    assert.equal(w.lookup('a', 'k1', 'body-1 '), CONFLICT, 'other length');
    w.remember('a', 'k3', 'body-3', '"s"', 3, 103, 7000);
    assert.equal(w.lookup('a', 'k1', 'body-1'), MISS, 'evicted');
    assert.ok(w.lookup('a', 'k3', 'body-3') >= 0);
    assert.equal(w.size, 2);
  });
  it('matches a reference model over many laps (eviction keeps every live key reachable)', () => {
    const cap = 37;
    const w = new IdempotencyWindow(cap);
    const live: string[] = [];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const key = `k${rnd(400)}`;
      const acct = `a${rnd(3)}`;
      const id = `${acct}/${key}`;
      if (w.lookup(acct, key, `body-${id}`) === MISS) {
        w.remember(acct, key, `body-${id}`, '"s"', i, i, i);
        live.push(id);
        if (live.length > cap) live.shift();
      }
      assert.equal(w.size, live.length);
      if (i % 50 === 0) {
        for (const l of live) {
          const [a, k] = l.split('/') as [string, string];
          assert.ok(w.lookup(a, k, `body-${l}`) >= 0, `${l} reachable at step ${i}`);
          assert.equal(w.lookup(a, k, `other-${l}`), CONFLICT);
        }
      }
    }
  });
  it('keeps nothing with capacity 0', () => {
    const w = new IdempotencyWindow(0);
    w.remember('a', 'k', 'b', '"s"', 1, 1, 1);
    assert.equal(w.size, 0);
    assert.equal(w.lookup('a', 'k', 'b'), MISS);
  });
});

describe('ingress ring: slots by position', () => {
  it('keeps producer and consumer on the same slot for a capacity that is not a power of two, across many laps', () => {
    const b = allocateRing(3);
    const p = new RingProducer(b);
    const c = new RingConsumer(b);
    const rec = emptyRecord();
    for (let n = 1; n <= 1000; n++) {
      assert.equal(p.push(n, n, n, 'a', 's', { symbol: 'AAPL', side: 1, type: 1, qty: 1, price: 1, timeInForce: 1, expireAt: 0, clientOrderId: null }), PushResult.Ok);
      if (n % 2 === 0 || n === 1000) {
        const k = c.available();
        for (let i = 0; i < k; i++) {
          const pos = p.freedCount() + i;
          assert.equal(c.peekAt(i, rec).orderNo, p.orderNoAt(pos), `position ${pos}`);
        }
        c.consume(k);
        c.release(k);
      }
    }
    assert.equal(p.freedCount(), 1000);
  });
});

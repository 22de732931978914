import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderRegistry } from '../../../src/fastpath/order-registry.js';

describe('order registry', () => {
  it('finds orders by number, clientOrderId and (session, seq); index updates wait for a flush or a lookup', () => {
    const r = new OrderRegistry(8);
    r.add(101, 'acct', 'c-1', null, 'sess', 1, 0, 0);
    r.add(102, 'acct', null, null, 'sess', 2, 0, 1);
    assert.equal(r.pendingIndexUpdates, 2, 'the slot is written, the indexes not yet');
    assert.equal(r.find('acct', 101), 101 % 8);
    assert.equal(r.find('other', 101), -1, 'another account');
    assert.equal(r.findByClientId('acct', 'c-1'), 101 % 8, 'a lookup applies the queued updates first');
    assert.equal(r.pendingIndexUpdates, 0);
    assert.equal(r.findBySessionSeq('sess', 2), 102 % 8);
    assert.equal(r.findBySessionSeq('sess', 3), -1);
    assert.equal(r.ringPosAt(r.findBySessionSeq('sess', 2)), 1);
  });

  it('evicts the oldest order when the ring wraps, from every index', () => {
    const r = new OrderRegistry(4);
    for (let n = 1; n <= 4; n++) r.add(1000 + n, 'acct', `c-${n}`, null, 's', n, 0, n);
    r.flushIndex();
    r.add(1005, 'acct', 'c-5', null, 's', 5, 0, 5); // takes order 1001's slot
    assert.equal(r.find('acct', 1001), -1);
    assert.equal(r.findByClientId('acct', 'c-1'), -1);
    assert.equal(r.findBySessionSeq('s', 1), -1);
    assert.equal(r.findByClientId('acct', 'c-5'), 1005 % 4);
    assert.equal(r.findBySessionSeq('s', 5), 1005 % 4);
    assert.equal(r.findBySessionSeq('s', 2), 1002 % 4, 'the others stay');
  });

  it('evicting an old order keeps a newer order with the same clientOrderId findable', () => {
    const r = new OrderRegistry(4);
    r.add(1, 'acct', 'dup', null, 's', 1, 0, 1);
    r.add(2, 'acct', 'dup', null, 's', 2, 0, 2); // the newer order now owns 'dup'
    for (let n = 3; n <= 5; n++) r.add(n, 'acct', null, null, 's', n, 0, n); // 5 evicts order 1
    assert.equal(r.findByClientId('acct', 'dup'), 2 % 4);
    assert.equal(r.orderNoAt(r.findByClientId('acct', 'dup')), 2);
  });

  it('flushes by itself before the queue could wrap over a slot', () => {
    const r = new OrderRegistry(16); // queue of 8
    for (let n = 1; n <= 40; n++) r.add(n, 'a', `k-${n}`, null, 's', n, 0, n);
    assert.ok(r.pendingIndexUpdates < 8);
    for (let n = 25; n <= 40; n++) assert.equal(r.findByClientId('a', `k-${n}`), n % 16, `k-${n}`);
    for (let n = 1; n <= 24; n++) assert.equal(r.findByClientId('a', `k-${n}`), -1, `k-${n} evicted`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRing, ReplayBuffers, type BufferedEvent } from '../../../src/transport/sse/replay-buffer.js';

function ev(id: string, orderId: string | null = null): BufferedEvent {
  return { id, orderId, frame: `id: ${id}\n\n` };
}

describe('EventRing', () => {
  it('keeps the last `capacity` events, oldest first', () => {
    const r = new EventRing(3);
    assert.equal(r.oldest(), undefined);
    for (let i = 1; i <= 5; i++) r.push(ev(`g.orders.${i}`));
    assert.equal(r.size, 3);
    assert.deepEqual([0, 1, 2].map((i) => r.at(i).id), ['g.orders.3', 'g.orders.4', 'g.orders.5']);
    assert.equal(r.oldest()!.id, 'g.orders.3');
    assert.equal(r.indexOf('g.orders.4'), 1);
    assert.equal(r.indexOf('g.orders.2'), -1);
    assert.deepEqual(r.after(0).map((e) => e.id), ['g.orders.4', 'g.orders.5']);
    assert.deepEqual(r.after(2), []);
    assert.throws(() => r.at(3), RangeError);
    assert.throws(() => new EventRing(0), RangeError);
  });

  it('filters replay by order', () => {
    const r = new EventRing(10);
    r.push(ev('a', 'o1'));
    r.push(ev('b', 'o2'));
    r.push(ev('c', 'o1'));
    r.push(ev('d', 'o2'));
    assert.deepEqual(r.after(0, 'o2').map((e) => e.id), ['b', 'd']);
    assert.deepEqual(r.after(-1, 'o1').map((e) => e.id), ['a', 'c']);
  });

  it('wraps correctly over many pushes (differential against an array)', () => {
    const cap = 7;
    const r = new EventRing(cap);
    const ref: string[] = [];
    for (let i = 0; i < 100; i++) {
      r.push(ev(String(i)));
      ref.push(String(i));
      const want = ref.slice(-cap);
      assert.deepEqual(Array.from({ length: r.size }, (_, j) => r.at(j).id), want);
    }
  });
});

describe('ReplayBuffers', () => {
  const acct = (accountId: string) => ({ kind: 'account' as const, accountId });

  it('no Last-Event-ID: live only', () => {
    const b = new ReplayBuffers(2, 10);
    b.push('A', ev('1'));
    assert.deepEqual(b.plan(acct('A'), undefined), { kind: 'live' });
  });

  it('the original test: ring size 2, Last-Event-ID 1 after three events -> resync_required; from 2 -> one event', () => {
    const b = new ReplayBuffers(2, 10);
    for (const id of ['1', '2', '3']) b.push('A', ev(id));
    assert.deepEqual(b.plan(acct('A'), '1'), { kind: 'resync', oldestAvailableId: '2' });
    const p = b.plan(acct('A'), '2');
    assert.equal(p.kind, 'replay');
    assert.deepEqual(p.kind === 'replay' && p.events.map((e) => e.id), ['3']);
    const none = b.plan(acct('A'), '3');
    assert.deepEqual(none.kind === 'replay' && none.events, []);
  });

  it('an unknown id, or an account without a buffer, is resync_required', () => {
    const b = new ReplayBuffers(5, 10);
    b.push('A', ev('1'));
    assert.deepEqual(b.plan(acct('A'), 'other-gateway.orders.9'), { kind: 'resync', oldestAvailableId: '1' });
    assert.deepEqual(b.plan(acct('B'), '1'), { kind: 'resync', oldestAvailableId: null });
  });

  it('accounts are isolated: one account\'s replay never holds another\'s events', () => {
    const b = new ReplayBuffers(10, 10);
    b.push('A', ev('a1'));
    b.push('B', ev('b1'));
    b.push('A', ev('a2'));
    b.push('B', ev('b2'));
    const p = b.plan(acct('A'), 'a1');
    assert.deepEqual(p.kind === 'replay' && p.events.map((e) => e.id), ['a2']);
    // B's id is unknown to A's buffer
    assert.equal(b.plan(acct('A'), 'b1').kind, 'resync');
  });

  it('order scope replays the order\'s events of its account\'s buffer', () => {
    const b = new ReplayBuffers(10, 10);
    b.push('A', ev('1', 'o1'));
    b.push('A', ev('2', 'o2'));
    b.push('A', ev('3', 'o1'));
    const p = b.plan({ kind: 'order', accountId: 'A', orderId: 'o1' }, '1');
    assert.deepEqual(p.kind === 'replay' && p.events.map((e) => e.id), ['3']);
  });

  it('the all-accounts buffer holds every account in delivery order', () => {
    const b = new ReplayBuffers(10, 10);
    b.push('A', ev('1'));
    b.push('B', ev('2'));
    b.push('C', ev('3'));
    const p = b.plan({ kind: 'all' }, '1');
    assert.deepEqual(p.kind === 'replay' && p.events.map((e) => e.id), ['2', '3']);
  });

  it('stays within maxAccounts by dropping the least recently active account', () => {
    const b = new ReplayBuffers(4, 2);
    b.push('A', ev('a1'));
    b.push('B', ev('b1'));
    b.push('A', ev('a2')); // A is now the most recent
    b.push('C', ev('c1')); // drops B
    assert.equal(b.accountCount, 2);
    assert.equal(b.evictions, 1);
    assert.deepEqual(b.plan(acct('B'), 'b1'), { kind: 'resync', oldestAvailableId: null });
    assert.equal(b.plan(acct('A'), 'a1').kind, 'replay');
    // bound: capacity x (maxAccounts + 1)
    for (let i = 0; i < 100; i++) b.push(`X${i % 7}`, ev(`x${i}`));
    assert.ok(b.bufferedEvents <= 4 * 3);
  });
});

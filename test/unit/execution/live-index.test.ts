/** The live orders' index: a window by order number for /v3 orders, a map for the rest. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveIndex, orderNoOf } from '../../../src/execution/live-index.js';

const BASE = 1_764_806_400_000_000; // Date.now() * 1000 at some start: 16 digits
const fast = (no: number) => ({ orderId: String(no), orderNo: no });
const durable = (id: string) => ({ orderId: id, orderNo: 0 });

describe('orderNoOf', () => {
  it('reads up to 16 decimal digits, nothing else', () => {
    assert.equal(orderNoOf(String(BASE)), BASE);
    assert.equal(orderNoOf('0'), 0);
    assert.equal(orderNoOf(''), -1);
    assert.equal(orderNoOf('12a'), -1);
    assert.equal(orderNoOf('-12'), -1);
    assert.equal(orderNoOf('12345678901234567'), -1, '17 digits');
    assert.equal(orderNoOf('ord_42'), -1);
  });
});

describe('LiveIndex', () => {
  it('finds, deletes and lists /v3 orders and durable orders alike', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(1024);
    const a = fast(BASE + 1);
    const b = fast(BASE + 3); // BASE + 2 was a rejected order: a gap
    const d = durable('gw-1-17');
    ix.add(a);
    ix.add(b);
    ix.add(d);
    assert.equal(ix.size, 3);
    assert.equal(ix.get(String(BASE + 1)), a);
    assert.equal(ix.get(String(BASE + 3)), b);
    assert.equal(ix.get(String(BASE + 2)), undefined);
    assert.equal(ix.get('gw-1-17'), d);
    assert.equal(ix.get('nope'), undefined);
    assert.deepEqual([...ix.values()], [a, b, d]);
    assert.equal(ix.delete(String(BASE + 1)), true);
    assert.equal(ix.delete(String(BASE + 1)), false);
    assert.equal(ix.get(String(BASE + 1)), undefined);
    assert.equal(ix.delete('gw-1-17'), true);
    assert.deepEqual([...ix.values()], [b]);
    assert.equal(ix.size, 1);
  });

  it('an id with the digits of a slot but not its order is not that order', () => {
    const ix = new LiveIndex<{ orderId: string; orderNo: number }>(1024);
    ix.add(fast(BASE + 5));
    assert.equal(ix.get('0' + String(BASE + 5).slice(1)), undefined);
    // a durable order whose id happens to be digits lives in the map and is found there
    const d = { orderId: '77', orderNo: 0 };
    ix.add(d);
    assert.equal(ix.get('77'), d);
  });

  it('orders routed out of number order (several shards) all land in the window', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(1024);
    const nos = [10, 12, 11, 15, 13, 14].map((k) => BASE + k);
    for (const no of nos) ix.add(fast(no));
    for (const no of nos) assert.equal(ix.get(String(no))?.orderNo, no);
    assert.deepEqual([...ix.values()].map((o) => o.orderNo - BASE), [10, 11, 12, 13, 14, 15]);
  });

  it('an order numbered below the window (restored from an earlier run) goes to the map', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(1024);
    ix.add(fast(BASE + 100));
    const old = fast(BASE - 5_000_000);
    ix.add(old);
    assert.equal(ix.get(old.orderId), old);
    assert.equal(ix.size, 2);
  });

  it('a resting order the numbers leave behind moves to the map and is still found', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(1024);
    const resting = fast(BASE);
    ix.add(resting);
    for (let k = 1; k <= 10_000; k++) {
      ix.add(fast(BASE + k));
      ix.delete(String(BASE + k)); // filled at once
    }
    assert.equal(ix.get(resting.orderId), resting);
    assert.equal(ix.size, 1);
    assert.deepEqual([...ix.values()], [resting]);
    assert.equal(ix.delete(resting.orderId), true);
    assert.equal(ix.size, 0);
  });

  it('a jump in numbering (a new epoch) restarts the window without walking the gap', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(1024);
    const restored = fast(BASE);
    ix.add(restored);
    const next = fast(BASE + 1_000_000_000);
    ix.add(next);
    assert.equal(ix.get(restored.orderId), restored);
    assert.equal(ix.get(next.orderId), next);
    assert.deepEqual([...ix.values()].map((o) => o.orderNo), [next.orderNo, restored.orderNo]);
  });

  it('keeps every order findable through a long run of adds and deletes (against a Map)', () => {
    const ix = new LiveIndex<ReturnType<typeof fast>>(4096);
    const ref = new Map<string, ReturnType<typeof fast>>();
    const keys: string[] = []; // ref's keys
    let s = 12345;
    const rnd = (k: number) => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) % k);
    let next = BASE;
    for (let step = 0; step < 200_000; step++) {
      if (rnd(3) !== 0 || keys.length === 0) {
        next += 1 + (rnd(10) === 0 ? rnd(5) : 0);
        const o = fast(next);
        ix.add(o);
        ref.set(o.orderId, o);
        keys.push(o.orderId);
      } else {
        // retire a recent order mostly, an old one now and then
        const at = rnd(10) === 0 ? rnd(keys.length) : Math.max(0, keys.length - 1 - rnd(50));
        const k = keys[at]!;
        keys[at] = keys[keys.length - 1]!;
        keys.pop();
        assert.equal(ix.delete(k), true);
        ref.delete(k);
      }
    }
    assert.equal(ix.size, ref.size);
    for (const [k, o] of ref) assert.equal(ix.get(k), o);
    assert.deepEqual(new Set([...ix.values()]), new Set(ref.values()));
  });
});

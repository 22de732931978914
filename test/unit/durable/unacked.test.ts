/** Events not yet durable: settled as the journal advances, rolled back newest first on failure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrderEvent } from '../../../src/orders/order.js';
import { UnackedEvents } from '../../../src/durable/unacked.js';

const ev = (seq: number): OrderEvent => ({ seq }) as OrderEvent;

describe('UnackedEvents', () => {
  it('rolls back only what is above the durable seq, newest first', () => {
    const u = new UnackedEvents();
    for (let s = 1; s <= 5; s++) u.push(ev(s));
    const undone: number[] = [];
    assert.equal(u.rollBackAbove(2, (e) => undone.push(e.seq)), 3);
    assert.deepEqual(undone, [5, 4, 3]);
    assert.equal(u.rollBackAbove(0, () => assert.fail('nothing is left')), 0);
  });

  it('forgets what became durable, across compactions', () => {
    const u = new UnackedEvents();
    let seq = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10_000; i++) u.push(ev(++seq));
      u.settle(seq - 100); // most of it durable: compacted, the last 100 kept
    }
    const undone: number[] = [];
    assert.equal(u.rollBackAbove(seq - 100, (e) => undone.push(e.seq)), 100);
    assert.equal(undone[0], seq);
    assert.equal(undone.at(-1), seq - 99);
  });

  it('a fully settled queue rolls back nothing', () => {
    const u = new UnackedEvents();
    u.push(ev(1));
    u.push(ev(2));
    u.settle(2);
    assert.equal(u.rollBackAbove(0, () => assert.fail('settled events are gone')), 0);
  });
});

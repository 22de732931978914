import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, sleep } from '../../../src/backoffice/backoff.js';
import { BackofficeStats, EventRate } from '../../../src/backoffice/metrics.js';
import { storageError } from '../../../src/backoffice/storage/errors.js';

describe('back office runtime pieces', () => {
  it('backoff grows exponentially within bounds, with jitter', () => {
    const b = { retryMinMs: 100, retryMaxMs: 5000 };
    assert.equal(backoffMs(0, b, () => 0.5), 100);
    assert.equal(backoffMs(3, b, () => 0.5), 800);
    assert.equal(backoffMs(50, b, () => 0.5), 5000);
    assert.equal(backoffMs(0, b, () => 0), 80);
    assert.equal(backoffMs(50, b, () => 1), 6000);
  });

  it('an aborted sleep returns false at once', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    assert.equal(await p, false);
    assert.equal(await sleep(1, new AbortController().signal), true);
  });

  it('events per second over a sliding window', () => {
    const r = new EventRate(10_000);
    assert.equal(r.perSecond, 0);
    for (let s = 0; s <= 20; s++) r.sample(s * 1000, s * 500);
    assert.equal(r.perSecond, 500);
    r.sample(21_000, 10_000); // idle second
    assert.equal(r.perSecond, 450);
  });

  it('counts outcomes by class', () => {
    const s = new BackofficeStats();
    for (const o of ['booked', 'booked', 'rejected:BAD_QTY', 'stale', 'recorded', 'updated']) s.countOutcome(o);
    assert.deepEqual(Object.fromEntries(s.applied), { booked: 2, updated: 1, recorded: 1, stale: 1, rejected: 1 });
    assert.equal(s.appliedTotal, 6);
  });

  it('classifies driver errors by SQLSTATE and socket code', () => {
    const code = (c: unknown, m = 'x') => storageError('t', Object.assign(new Error(m), { code: c })).code;
    assert.equal(code('ECONNREFUSED'), 'UNAVAILABLE');
    assert.equal(code('08006'), 'UNAVAILABLE');
    assert.equal(code('57P01'), 'UNAVAILABLE');
    assert.equal(code('22003'), 'REJECTED');
    assert.equal(code('23505'), 'REJECTED');
    assert.equal(code('42P01'), 'FAILED');
    assert.equal(code(undefined, 'Connection terminated unexpectedly'), 'UNAVAILABLE');
    const e = storageError('t', Object.assign(new Error('x'), { code: '22003' }));
    assert.equal(e.sqlState, '22003');
    assert.ok(e.cause instanceof Error);
  });
});

/** Admission of durable orders under load: each limit, its order of precedence, and 0 = off. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backpressure } from '../../../src/durable/backpressure.js';

const off = { inflightMax: 0, walBytesMax: 0, walAgeMsMax: 0, diskFreePctMin: 0, softWalAgeMsMax: 0 };
const on = { inflightMax: 100, walBytesMax: 1_000_000, walAgeMsMax: 500, diskFreePctMin: 5, softWalAgeMsMax: 50 };

describe('durable backpressure', () => {
  it('admits everything when every limit is off', () => {
    assert.equal(backpressure(off, 1e9, 1e12, 1e9, 0), null);
  });

  it('admits under every limit, and while the disk has not been measured yet', () => {
    assert.equal(backpressure(on, 99, 1_000_000, 50, 5), null);
    assert.equal(backpressure(on, 0, 0, 0, -1), null);
  });

  it('names each limit exceeded on its own', () => {
    assert.equal(backpressure(on, 100, 0, 0, 50), 'BACKPRESSURE_INFLIGHT_SOFT');
    assert.equal(backpressure(on, 0, 1_000_001, 0, 50), 'BACKPRESSURE_WAL_BYTES');
    assert.equal(backpressure(on, 0, 0, 501, 50), 'BACKPRESSURE_WAL_AGE');
    assert.equal(backpressure(on, 0, 0, 0, 4.9), 'BACKPRESSURE_DISK_FREE');
    assert.equal(backpressure(on, 0, 0, 51, 50), 'BACKPRESSURE_SOFT_WAL_AGE');
  });

  it('names the hard limits before the soft WAL age', () => {
    assert.equal(backpressure(on, 100, 2_000_000, 600, 1), 'BACKPRESSURE_INFLIGHT_SOFT');
    assert.equal(backpressure(on, 0, 2_000_000, 600, 1), 'BACKPRESSURE_WAL_BYTES');
    assert.equal(backpressure(on, 0, 0, 600, 1), 'BACKPRESSURE_WAL_AGE');
    assert.equal(backpressure(on, 0, 0, 60, 1), 'BACKPRESSURE_DISK_FREE');
  });
});

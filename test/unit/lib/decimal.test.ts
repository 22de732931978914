import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecimalFormatter } from '../../../src/lib/decimal.js';

describe('decimal formatter', () => {
  it('matches String(n) for small, padded and large values, across high-part changes', () => {
    const f = new DecimalFormatter();
    const values = [0, 7, 999_999, 1_000_000, 1_000_001, 1_234_000_056, 1_764_000_000_000_000, 1_764_000_000_999_999, 1_764_000_001_000_000, Number.MAX_SAFE_INTEGER, 5_000_000_000_123];
    for (const v of values) assert.equal(f.format(v), String(v));
    let n = 1_764_073_123_990_000;
    for (let i = 0; i < 30_000; i++, n += 7) assert.equal(f.format(n), String(n));
  });
});

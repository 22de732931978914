import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { divRound, exactDecimal, feeOf, formatFixed, fromTicks, ONE, parseBps, parseFixed, roundProduct, sqlFixed } from '../../../src/backoffice/domain/decimal.js';
import { applyFill, averagePrice, FLAT, type PositionAmounts, unrealized } from '../../../src/backoffice/domain/position.js';

describe('fixed-point money', () => {
  it('parses and formats decimals with 8 places exactly', () => {
    for (const [text, out] of [
      ['0', '0'],
      ['-1.5', '-1.5'],
      ['15000.00000000', '15000'],
      ['0.00000001', '0.00000001'],
      ['-0.10000000', '-0.1'],
      ['123456789012345678901234.12345678', '123456789012345678901234.12345678'],
    ]) {
      assert.equal(formatFixed(parseFixed(text)), out);
      assert.equal(parseFixed(sqlFixed(parseFixed(text))), parseFixed(text));
    }
    assert.equal(sqlFixed(-1n), '-0.00000001');
    assert.throws(() => parseFixed('1.123456789'), RangeError);
    assert.throws(() => parseFixed('1e5'), RangeError);
    assert.throws(() => parseFixed(''), RangeError);
  });

  it('rounds half away from zero', () => {
    assert.deepEqual([divRound(5n, 2n), divRound(-5n, 2n), divRound(4n, 3n), divRound(-4n, 3n), divRound(5n, -2n), divRound(7n, 7n)], [3n, -3n, 1n, -1n, -3n, 1n]);
    assert.throws(() => divRound(1n, 0n), RangeError);
  });

  it('reads JSON numbers exactly as written, exponents included', () => {
    assert.deepEqual(exactDecimal(100.66666666666667), { digits: 10066666666666667n, scale: 14 });
    assert.deepEqual(exactDecimal(1e21), { digits: 10n ** 21n, scale: 0 });
    assert.deepEqual(exactDecimal(1.5e-7), { digits: 15n, scale: 8 });
    assert.equal(exactDecimal(NaN), undefined);
    assert.equal(roundProduct(100.66666666666667, 3n), 302n);
    assert.equal(roundProduct(15006, 100n), 1_500_600n);
    assert.equal(roundProduct(Infinity, 1n), undefined);
  });

  it('a whole-tick notional recovers from the float average for large orders', () => {
    // fills at random integer ticks; the venue reports avgPx as a double; avgPx × cumQty rounds back to the sum
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    for (let t = 0; t < 500; t++) {
      let cum = 0;
      let notional = 0;
      const fills = 1 + rnd(20);
      for (let i = 0; i < fills; i++) {
        const q = 1 + rnd(10_000);
        const px = 1 + rnd(9_000_000);
        cum += q;
        notional += q * px;
      }
      assert.equal(roundProduct(notional / cum, BigInt(cum)), BigInt(notional));
    }
  });

  it('fees: notional × bps / 10 000, bps with up to 4 decimals', () => {
    assert.equal(parseBps('1'), 10_000n);
    assert.equal(parseBps('0.0001'), 1n);
    assert.equal(parseBps('10000'), 100_000_000n);
    for (const bad of ['-1', '1.00001', '10000.0001', 'x', '', '1e2']) assert.equal(parseBps(bad), undefined, bad);
    assert.equal(formatFixed(feeOf(600_000n, parseBps('1')!)), '60');
    assert.equal(formatFixed(feeOf(3n, parseBps('0.0001')!)), '0.00000003');
  });
});

describe('positions (average cost)', () => {
  const buy = (p: PositionAmounts, q: number, px: number, fee = 0n) => applyFill(p, BigInt(q), fromTicks(BigInt(q * px)), fee);
  const sell = (p: PositionAmounts, q: number, px: number, fee = 0n) => applyFill(p, BigInt(-q), -fromTicks(BigInt(q * px)), fee);

  it('adds, reduces, closes and crosses through zero', () => {
    let p = buy(FLAT, 10, 100);
    p = buy(p, 10, 110);
    assert.equal(formatFixed(averagePrice(p)!), '105');
    p = sell(p, 5, 120); // realizes 5 × 15
    assert.equal(p.netQty, 15n);
    assert.equal(formatFixed(p.realized), '75');
    assert.equal(formatFixed(averagePrice(p)!), '105');
    p = sell(p, 20, 100); // closes 15 (−75), opens short 5 @ 100
    assert.equal(p.netQty, -5n);
    assert.equal(formatFixed(p.realized), '0');
    assert.equal(formatFixed(p.cost), '-500');
    assert.equal(formatFixed(unrealized(p, fromTicks(90n))), '50');
    p = buy(p, 5, 90);
    assert.deepEqual([p.netQty, p.cost, formatFixed(p.realized)], [0n, 0n, '50']);
    assert.equal(averagePrice(p), null);
  });

  it('a partial reduction releases cost rounded to 8 places; closing releases the rest', () => {
    let p = buy(FLAT, 3, 100);
    p = buy(p, 1, 101); // 4 @ 100.25
    p = sell(p, 3, 100); // releases 300.75
    assert.equal(formatFixed(p.cost), '100.25');
    p = buy(FLAT, 3, 1);
    p = buy(p, 3, 2); // cost 9 over 6
    p = sell(p, 1, 1); // releases 1.5
    p = sell(p, 4, 1); // releases 6 → 1.5 left for 1
    p = sell(p, 1, 1);
    assert.equal(p.cost, 0n);
  });

  it('keeps realized = cost − Σ value exactly over random fills; fees accumulate', () => {
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    let p: PositionAmounts = FLAT;
    let sumValue = 0n;
    let fees = 0n;
    for (let i = 0; i < 5_000; i++) {
      const q = BigInt(1 + rnd(50)) * (rnd(2) === 0 ? 1n : -1n);
      const px = BigInt(1 + rnd(1_000));
      const v = q * px * ONE;
      const fee = BigInt(rnd(1000));
      p = applyFill(p, q, v, fee);
      sumValue += v;
      fees += fee;
      assert.equal(p.realized, p.cost - sumValue);
      if (p.netQty === 0n) assert.equal(p.cost, 0n);
    }
    assert.equal(p.fees, fees);
  });

  it('refuses a fill without quantity or with a value of the wrong sign', () => {
    assert.throws(() => applyFill(FLAT, 0n, 0n, 0n), RangeError);
    assert.throws(() => applyFill(FLAT, 1n, -1n, 0n), RangeError);
  });
});

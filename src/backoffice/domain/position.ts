/**
 * A position in one symbol for one account, moved by fills: average-cost method.
 *
 *   netQty   signed: > 0 long, < 0 short
 *   cost     signed cost basis in fixed units (decimal.ts): average price × netQty, so negative
 *            for a short; the average price is cost / netQty
 *   realized realized P&L (before fees), fixed units
 *   fees     fees paid on the symbol's fills, fixed units
 *
 * A fill of signed quantity q (+ buy, − sell) and signed value v = ±notional:
 *  - same direction as the position (or from flat): netQty += q, cost += v;
 *  - against it: the closed part releases cost × closed / |netQty| (the whole cost when the
 *    position closes exactly), and realizes −(released + value of the closed part); a remainder
 *    beyond zero opens a position the other way at the fill's price (crossing through zero).
 *
 * Invariant, exact at every step: realized = cost − Σv (what was paid in minus what the open
 * position still holds), so realized + unrealized = −Σv + netQty × mark with nothing lost to
 * rounding. The only rounding is the released cost of a partial reduction (half away from zero).
 *
 * Pure; the caller owns the value.
 */
import { divRound } from './decimal.js';

export interface PositionAmounts {
  netQty: bigint;
  cost: bigint;
  realized: bigint;
  fees: bigint;
}

export const FLAT: PositionAmounts = Object.freeze({ netQty: 0n, cost: 0n, realized: 0n, fees: 0n });

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const sign = (x: bigint): number => (x > 0n ? 1 : x < 0n ? -1 : 0);

/**
 * The position after a fill: `qty` signed (+ buy, − sell, never 0), `value` its signed notional in
 * fixed units (same sign as qty), `fee` in fixed units.
 */
export function applyFill(p: PositionAmounts, qty: bigint, value: bigint, fee: bigint): PositionAmounts {
  if (qty === 0n) throw new RangeError('a fill has a quantity');
  if (value !== 0n && sign(value) !== sign(qty)) throw new RangeError('a fill value has the sign of its quantity');
  const fees = p.fees + fee;
  if (p.netQty === 0n || sign(p.netQty) === sign(qty)) {
    return { netQty: p.netQty + qty, cost: p.cost + value, realized: p.realized, fees };
  }
  const held = abs(p.netQty);
  const size = abs(qty);
  const closed = size < held ? size : held;
  const released = closed === held ? p.cost : divRound(p.cost * closed, held);
  const closedValue = closed === size ? value : divRound(value * closed, size);
  const realized = p.realized - (released + closedValue);
  const netQty = p.netQty + qty;
  const cost = p.cost - released + (value - closedValue);
  return { netQty, cost, realized, fees };
}

/** Average price in fixed units (cost / netQty, rounded), or null when flat. */
export function averagePrice(p: PositionAmounts): bigint | null {
  return p.netQty === 0n ? null : divRound(p.cost, p.netQty);
}

/** Unrealized P&L against a mark price in fixed units: netQty × mark − cost. */
export function unrealized(p: PositionAmounts, markFixed: bigint): bigint {
  return p.netQty * markFixed - p.cost;
}

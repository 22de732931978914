/**
 * Exact money arithmetic for the back office: amounts are `bigint` counts of 10^-8 tick
 * ("fixed"), stored as PostgreSQL `numeric(38,8)` and exchanged as decimal strings. No floating
 * point touches a booked amount.
 *
 * Where amounts come from:
 *  - quantities and fill prices are integers (the contract's integer ticks), so a fill's notional
 *    `qty × price` is an integer number of ticks;
 *  - a fee is `notional × bps / 10 000` with bps given to 4 decimals: exactly 8 decimals;
 *  - the only division with a remainder is the cost released when a position is reduced, and a
 *    derived fill price (shown, never summed): both round half away from zero to 8 decimals.
 *
 * Pure functions; misuse (a malformed string from our own tables) throws.
 */

export const SCALE = 8;
/** 10^8: one tick in fixed units */
export const ONE = 100_000_000n;

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Ticks (an integer) as fixed. */
export function fromTicks(ticks: bigint): bigint {
  return ticks * ONE;
}

/**
 * Fixed from a decimal string with at most {@link SCALE} decimals (what `numeric(38,8)::text`
 * gives). Throws on anything else: such a string can only come from a bug or a corrupted table.
 */
export function parseFixed(s: string): bigint {
  const m = DECIMAL_RE.exec(s);
  if (m === null || (m[3] !== undefined && m[3].length > SCALE)) throw new RangeError(`not a decimal with at most ${SCALE} places: ${JSON.stringify(s)}`);
  const v = BigInt(m[2]!) * ONE + BigInt((m[3] ?? '').padEnd(SCALE, '0'));
  return m[1] === '-' ? -v : v;
}

/** Decimal text of a fixed amount: no exponent, no trailing zeros (`-1.5`, `0`, `15000`). */
export function formatFixed(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / ONE;
  const frac = (a % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}`;
}

/** Fixed text with exactly {@link SCALE} decimals (the form written to `numeric` parameters). */
export function sqlFixed(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / ONE}.${(a % ONE).toString().padStart(SCALE, '0')}`;
}

/** `a / b` rounded half away from zero; `b` must not be 0. */
export function divRound(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  if (b < 0n) {
    a = -a;
    b = -b;
  }
  const q = a / b;
  const r = a % b;
  if (2n * (r < 0n ? -r : r) >= b) return a < 0n ? q - 1n : q + 1n;
  return q;
}

/** `a × b / c` rounded half away from zero (exact intermediate). */
export function mulDivRound(a: bigint, b: bigint, c: bigint): bigint {
  return divRound(a * b, c);
}

/**
 * A finite JSON number as an exact decimal `digits / 10^scale`, read from its shortest
 * round-trip text (what the sender wrote). Undefined for NaN/Infinity.
 */
export function exactDecimal(n: number): { digits: bigint; scale: number } | undefined {
  if (!Number.isFinite(n)) return undefined;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(n));
  if (m === null) return undefined;
  const frac = m[3] ?? '';
  let digits = BigInt(m[2]! + frac);
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits: m[1] === '-' ? -digits : digits, scale };
}

/** `x × k` rounded half away from zero to an integer, `x` read exactly as by {@link exactDecimal}. */
export function roundProduct(x: number, k: bigint): bigint | undefined {
  const d = exactDecimal(x);
  if (d === undefined) return undefined;
  return divRound(d.digits * k, 10n ** BigInt(d.scale));
}

/**
 * Basis points as a count of 1/10 000 bps from text like `1`, `0.5`, `2.25`: 0..10 000 bps with
 * at most 4 decimals; undefined otherwise. Then a fee in fixed units is `notionalTicks × bps4`
 * (notional × bps / 10^4, in units of 10^-8).
 */
export function parseBps(text: string): bigint | undefined {
  const m = /^(\d{1,5})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const v = BigInt(m[1]!) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
  return v > 10_000n * 10_000n ? undefined : v;
}

/** The fee on a notional of whole ticks, in fixed units. */
export function feeOf(notionalTicks: bigint, bps4: bigint): bigint {
  return notionalTicks * bps4;
}

/** A bigint quantity as a JSON number when safe, else as its decimal string. */
export function jsonQty(q: bigint): number | string {
  const n = Number(q);
  return Number.isSafeInteger(n) ? n : q.toString();
}

/**
 * Small statistics over repeated benchmark rounds. Pure functions; NaN inputs are ignored
 * (a metric a server did not expose is NaN, and must not turn a median into NaN).
 */

function finite(xs: readonly number[]): number[] {
  return xs.filter((x) => Number.isFinite(x));
}

/** Median of the finite values (NaN when there is none). */
export function median(xs: readonly number[]): number {
  const s = finite(xs).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Relative spread of repeated measurements of one quantity: max / min − 1 (0 = identical,
 * 1 = the largest is twice the smallest). NaN with fewer than two finite positive values.
 */
export function spread(xs: readonly number[]): number {
  const s = finite(xs).filter((x) => x > 0);
  if (s.length < 2) return NaN;
  return Math.max(...s) / Math.min(...s) - 1;
}

/** Per-round ratios a[i] / b[i] (NaN where b[i] is 0 or either is missing). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => {
    const y = b[i];
    return y === undefined || !(y > 0) || !Number.isFinite(x) ? NaN : x / y;
  });
}

/** Rounds to `digits` decimals (keeps NaN). */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

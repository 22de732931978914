/**
 * Decimal text of non-negative integers up to 2^53 without V8's slow path.
 *
 * Converting a number outside the small-integer range (order numbers, nanosecond timestamps) to a
 * string takes a runtime call that stalls for over 10 µs about once per hundred calls (measured: p99
 * 12 µs against 0.13 µs for small integers). A formatter splits the value into a high part, whose
 * text it caches (it changes once per million), and a low part of six digits that is always a
 * small integer.
 */
export class DecimalFormatter {
  private hi = -1;
  private hiText = '';

  format(n: number): string {
    if (n < 1_000_000) return '' + n;
    const hi = Math.floor(n / 1_000_000);
    const lo = n - hi * 1_000_000;
    if (hi !== this.hi) {
      this.hi = hi;
      this.hiText = String(hi);
    }
    // 1e6 + lo is a small integer; dropping its leading 1 gives the zero-padded six digits.
    return this.hiText + ('' + (1_000_000 + lo)).slice(1);
  }
}

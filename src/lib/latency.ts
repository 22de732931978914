/**
 * Latency histogram in nanoseconds, backed by an HDR histogram (3 significant digits,
 * 1 ns .. 60 s). Recording is an array increment; percentiles and Prometheus buckets are computed
 * only when /metrics is scraped.
 */
import * as hdr from 'hdr-histogram-js';

const HIGHEST_NS = 60e9;

/** Prometheus bucket bounds (seconds) for latency histograms: 1 µs .. 10 s. */
export const PROM_BUCKETS_SEC = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

function buildHistogram(): hdr.Histogram {
  return hdr.build({
    useWebAssembly: false,
    bitBucketSize: 32,
    numberOfSignificantValueDigits: 3,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_NS,
  });
}

/**
 * Where the last interval of {@link LatencyHistogram.percentilesSince} ended: a copy of the
 * histogram's bucket counters then, and its total. An interval costs two linear passes over the
 * counters and one memcpy (the library's add/subtract/iterators were 2–70 ms for four histograms).
 */
export class LatencyMark {
  counts: Int32Array | null = null;
  total = 0;
}

/** The pure-JS histogram's bucket counters (bitBucketSize 32: an Int32Array). */
type Counted = hdr.Histogram & {
  _counts: Int32Array;
  countsArrayIndex(value: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
};

export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor() {
    this.h = buildHistogram();
  }

  /** Records one duration in ns (clamped to 1 ns .. 60 s, so a recorded stage never reads 0). */
  record(ns: number): void {
    this.h.recordValue(ns < 1 ? 1 : ns > HIGHEST_NS ? HIGHEST_NS : ns);
  }

  /** Records the time since `startMs` (a performance.now() reading) in ns. */
  since(startMs: number, endMs: number): void {
    this.record(Math.round((endMs - startMs) * 1e6));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Percentile in whole microseconds, rounded up so sub-microsecond stages read 1; 0 when empty. */
  percentileUs(p: number): number {
    if (this.h.totalCount === 0) return 0;
    return Math.ceil(this.h.getValueAtPercentile(p) / 1000);
  }

  /** Percentile in nanoseconds; 0 when empty. */
  percentileNs(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p);
  }

  get meanNs(): number {
    return this.h.totalCount === 0 ? 0 : this.h.mean;
  }

  get maxNs(): number {
    return this.h.totalCount === 0 ? 0 : this.h.maxValue;
  }

  reset(): void {
    this.h.reset();
  }

  /**
   * Percentiles (ascending; ns, 0 when nothing was recorded) of the values recorded since `mark` was last
   * moved, then moves `mark` to now: interval percentiles for a live chart, read off the same
   * histogram /metrics reads. A reset in between restarts the interval from the reset.
   */
  percentilesSince(mark: LatencyMark, percentiles: readonly number[]): { count: number; ns: number[] } {
    const h = this.h as unknown as Counted;
    const cur = h._counts;
    if (mark.counts === null || mark.counts.length !== cur.length) {
      mark.counts = new Int32Array(cur.length);
      mark.total = 0;
    }
    const prev = mark.counts;
    // A reset since the mark: the interval starts at the reset.
    if (h.totalCount < mark.total) prev.fill(0);
    // Counters only grow between resets, so outside [min, max] of the current values both are 0.
    const from = h.totalCount === 0 ? 0 : h.countsArrayIndex(h.minNonZeroValue);
    const to = h.totalCount === 0 ? 0 : Math.min(cur.length, h.countsArrayIndex(h.maxValue) + 1);
    let total = 0;
    for (let i = from; i < to; i++) {
      const d = cur[i]! - prev[i]!;
      if (d > 0) total += d;
    }
    const ns = percentiles.map(() => 0);
    if (total > 0) {
      // As the library's getValueAtPercentile: round up, less one ulp of floating-point error.
      const wants = percentiles.map((p) => {
        const fp = (Math.min(p, 100) / 100) * total;
        return Math.max(1, Math.ceil(fp - (fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0)));
      });
      let run = 0;
      let k = 0;
      for (let i = from; i < to && k < wants.length; i++) {
        const d = cur[i]! - prev[i]!;
        if (d <= 0) continue;
        run += d;
        while (k < wants.length && run >= wants[k]!) ns[k++] = h.highestEquivalentValue(h.valueFromIndex(i));
      }
    }
    prev.set(cur.subarray(from, to), from);
    mark.total = h.totalCount;
    return { count: total, ns };
  }

  /**
   * The recorded values as compressed base64 (the HDR histogram interchange form), then empty:
   * how a worker thread ships its latencies to the thread that serves /metrics.
   */
  drainEncoded(): string {
    const s = hdr.encodeIntoCompressedBase64(this.h);
    this.h.reset();
    return s;
  }

  /** Adds values shipped by {@link drainEncoded}. */
  addEncoded(base64: string): void {
    this.h.add(hdr.decodeFromCompressedBase64(base64, 32, false));
  }

  /**
   * Cumulative counts for Prometheus buckets (bounds in seconds) plus the sum in seconds.
   * Each HDR bucket is attributed to its highest equivalent value, which errs towards the larger
   * bucket (never reports a latency as faster than it was).
   */
  prometheus(boundsSec: readonly number[]): { cumulative: number[]; sumSec: number; count: number } {
    const counts = new Array<number>(boundsSec.length).fill(0);
    let sumNs = 0;
    const h = this.h as unknown as hdr.Histogram & {
      recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
      highestEquivalentValue(v: number): number;
    };
    const it = h.recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      const ns = h.highestEquivalentValue(v.valueIteratedTo);
      const c = v.countAtValueIteratedTo;
      sumNs += ns * c;
      const sec = ns / 1e9;
      for (let i = 0; i < boundsSec.length; i++) {
        if (sec <= boundsSec[i]!) {
          counts[i] += c;
          break;
        }
      }
    }
    let run = 0;
    const cumulative = counts.map((c) => (run += c));
    return { cumulative, sumSec: sumNs / 1e9, count: this.h.totalCount };
  }
}

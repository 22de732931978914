/**
 * Open-loop schedule: request i is *intended* to be sent at
 *
 *   intendedNs(i) = startNs + i · 1e9 / ratePerSec
 *
 * whatever happened to earlier requests. Latency is measured from that intended time, so when
 * the generator or the system under test falls behind, the lag is part of every affected
 * latency (no coordinated omission: a stall cannot hide the requests that should have been sent
 * during it). Times are nanoseconds on an arbitrary monotonic origin, carried as numbers.
 *
 * The first `warmupCount` requests run the system in but are not recorded.
 */
export interface SchedulePlan {
  /** requests per second, > 0 */
  ratePerSec: number;
  /** recorded period, milliseconds */
  durationMs: number;
  /** unrecorded period before it, milliseconds (default 0) */
  warmupMs?: number;
}

export class OpenLoopSchedule {
  /** Nanoseconds between two intended send times. */
  readonly intervalNs: number;
  /** Requests in the whole run (warm-up included). */
  readonly total: number;
  /** Requests in the warm-up (the first ones, not recorded). */
  readonly warmupCount: number;
  readonly ratePerSec: number;

  constructor(
    readonly startNs: number,
    plan: SchedulePlan,
  ) {
    const { ratePerSec, durationMs } = plan;
    const warmupMs = plan.warmupMs ?? 0;
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    if (!(durationMs > 0) || !Number.isFinite(durationMs)) throw new RangeError(`duration must be > 0, got ${durationMs}`);
    if (!(warmupMs >= 0) || !Number.isFinite(warmupMs)) throw new RangeError(`warmup must be >= 0, got ${warmupMs}`);
    this.ratePerSec = ratePerSec;
    this.intervalNs = 1e9 / ratePerSec;
    this.warmupCount = Math.floor((ratePerSec * warmupMs) / 1000);
    this.total = this.warmupCount + Math.floor((ratePerSec * durationMs) / 1000);
    if (this.total - this.warmupCount < 1) throw new RangeError('rate × duration gives no request to send');
  }

  /** Intended send time of request `i` (0-based). Computed from i directly, so it never drifts. */
  intendedNs(i: number): number {
    return this.startNs + (i * 1e9) / this.ratePerSec;
  }

  /** Start of the recorded period (intended time of the first recorded request). */
  get measuredStartNs(): number {
    return this.intendedNs(this.warmupCount);
  }

  /** Number of requests whose intended time is at or before `nowNs` (capped at {@link total}). */
  dueCount(nowNs: number): number {
    if (nowNs < this.startNs) return 0;
    let c = Math.min(this.total, Math.floor(((nowNs - this.startNs) * this.ratePerSec) / 1e9) + 1);
    // Correct the float estimate against intendedNs() itself so both always agree.
    while (c < this.total && this.intendedNs(c) <= nowNs) c++;
    while (c > 0 && this.intendedNs(c - 1) > nowNs) c--;
    return c;
  }

  /** True when request `i` belongs to the warm-up. */
  isWarmup(i: number): boolean {
    return i < this.warmupCount;
  }
}

/** How late a send was against its intended time (never negative). */
export function sendLagNs(intendedNs: number, actualNs: number): number {
  return actualNs > intendedNs ? actualNs - intendedNs : 0;
}

/**
 * Latency charged to a request: completion time minus *intended* send time. It includes any
 * send lag, which is what corrects for coordinated omission.
 */
export function latencyNs(intendedNs: number, completedNs: number): number {
  return completedNs - intendedNs;
}

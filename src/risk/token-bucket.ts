/**
 * Token bucket for per-account order rate limits. Starts full (`burst` tokens), refills
 * continuously at `ratePerSec`, one token per order. Pure: the caller passes the clock.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** True when a token is available now (does not take it). */
  peek(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= 1;
  }

  /** Takes one token; returns false (and takes nothing) when the bucket is empty. */
  take(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): void {
    const dt = nowMs - this.lastMs;
    if (dt <= 0) return;
    this.lastMs = nowMs;
    const t = this.tokens + (dt * this.ratePerSec) / 1000;
    this.tokens = t > this.burst ? this.burst : t;
  }
}

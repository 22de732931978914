/**
 * Retry delays and abortable sleeps shared by the inputs and the booking loop: exponential from
 * `minMs`, capped at `maxMs`, with ±20 % jitter so that restarted peers do not retry in step.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryBounds {
  retryMinMs: number;
  retryMaxMs: number;
}

/** The delay before retry number `attempt` (0-based). */
export function backoffMs(attempt: number, b: RetryBounds, random: () => number = Math.random): number {
  const base = Math.min(b.retryMaxMs, b.retryMinMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

/** Resolves after `ms`, or false at once when `signal` aborts (never rejects). */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

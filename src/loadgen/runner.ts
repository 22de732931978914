/**
 * The open-loop send loop. It wakes up, sends every request whose intended time has come
 * (several at once when it woke late: the schedule does not slip), then sleeps until the next
 * intended time. Completions are charged from the intended time (see schedule.ts).
 *
 * Clock and timer are injected, so the loop runs unchanged under a simulated clock in tests.
 */
import { performance } from 'node:perf_hooks';
import type { LatencyRecorder, Outcome } from './recorder.js';
import type { OpenLoopSchedule } from './schedule.js';

/** Monotonic nanoseconds. */
export interface LoopClock {
  nowNs(): number;
}

/**
 * Runs `fn` after about `delayNs`; returns a function that cancels it. Cancellation may be
 * best-effort (the runner's callbacks check their own state), so implementations can skip the
 * bookkeeping on their hot path.
 */
export interface LoopTimer {
  schedule(delayNs: number, fn: () => void): () => void;
}

const NOOP = (): void => undefined;

/** Sends request `index`; calls `done` exactly once with its outcome (possibly synchronously). */
export type SendFn = (index: number, done: (outcome: Outcome) => void) => void;

export interface RunOptions {
  schedule: OpenLoopSchedule;
  send: SendFn;
  recorder: LatencyRecorder;
  clock: LoopClock;
  timer: LoopTimer;
  /**
   * Cap on requests in flight. When reached, sends wait for a completion; the wait counts as
   * send lag and is charged to the latency of the delayed requests (default: unlimited).
   */
  maxOutstanding?: number;
  /** How long to wait for answers after the last send before counting the rest as TIMEOUT (ms). */
  drainTimeoutMs: number;
}

export interface RunResult {
  startNs: number;
  endNs: number;
  /** requests sent (warm-up included) */
  sent: number;
  /** requests still unanswered at the drain deadline */
  timedOut: number;
}

/** Wall-clock implementation: performance.now() in nanoseconds. */
export const realClock: LoopClock = { nowNs: () => performance.now() * 1e6 };

/**
 * Wall-clock timer: sleeps with setTimeout while the next send is more than `spinBelowNs` away
 * (waking that much early), and polls with setImmediate (which still lets I/O run) for the last
 * stretch, because setTimeout alone is only millisecond-accurate.
 */
export function realTimer(spinBelowNs = 2_000_000): LoopTimer {
  return {
    schedule(delayNs, fn) {
      if (delayNs <= spinBelowNs) {
        // Hot path (runs for every send at high rates): no per-call closure for cancellation.
        setImmediate(fn);
        return NOOP;
      }
      const h = setTimeout(fn, Math.floor((delayNs - spinBelowNs / 2) / 1e6));
      return () => clearTimeout(h);
    },
  };
}

/** Runs the schedule to the end, then drains; resolves once every request is answered or timed out. */
export function runOpenLoop(o: RunOptions): Promise<RunResult> {
  const { schedule, send, recorder, clock, timer } = o;
  const maxOutstanding = o.maxOutstanding ?? Number.POSITIVE_INFINITY;
  const inflight = new Map<number, number>();
  let next = 0;
  let blocked = false;
  let draining = false;
  let finished = false;
  let cancelDrain: (() => void) | null = null;

  return new Promise<RunResult>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (cancelDrain !== null) cancelDrain();
      resolve({ startNs: schedule.startNs, endNs: clock.nowNs(), sent: next, timedOut: recorder.timedOut });
    };

    const complete = (i: number, outcome: Outcome): void => {
      const intended = inflight.get(i);
      if (intended === undefined) return; // already counted as TIMEOUT, or a duplicate callback
      inflight.delete(i);
      recorder.recordCompletion(i, intended, clock.nowNs(), outcome);
      if (blocked) {
        blocked = false;
        timer.schedule(0, pump);
      }
      if (draining && inflight.size === 0) finish();
    };

    const startDrain = (): void => {
      draining = true;
      if (inflight.size === 0) return finish();
      const deadlineDelayNs = o.drainTimeoutMs * 1e6;
      cancelDrain = timer.schedule(deadlineDelayNs, () => {
        if (finished) return;
        const deadline = clock.nowNs();
        for (const [i, intended] of inflight) recorder.recordTimeout(i, intended, deadline);
        inflight.clear();
        finish();
      });
    };

    function pump(): void {
      if (finished || draining) return;
      let now = clock.nowNs();
      while (next < schedule.total) {
        const intended = schedule.intendedNs(next);
        if (intended > now) break;
        if (inflight.size >= maxOutstanding) {
          blocked = true;
          recorder.capWaits++;
          return;
        }
        const i = next++;
        inflight.set(i, intended);
        recorder.recordSend(i, intended, now);
        send(i, (outcome) => complete(i, outcome));
        now = clock.nowNs();
      }
      if (next >= schedule.total) return startDrain();
      timer.schedule(schedule.intendedNs(next) - now, pump);
    }

    timer.schedule(schedule.startNs - clock.nowNs(), pump);
  });
}

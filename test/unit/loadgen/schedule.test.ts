import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { OpenLoopSchedule, latencyNs, sendLagNs } from '../../../src/loadgen/schedule.js';
import { LatencyRecorder, type Outcome } from '../../../src/loadgen/recorder.js';
import { runOpenLoop, type SendFn } from '../../../src/loadgen/runner.js';
import { buildSummary } from '../../../src/loadgen/summary.js';
import { SimTime } from './sim.js';

const MS = 1_000_000;
const US = 1_000;
const ACK: Outcome = { accepted: true, status: 'ACK', reason: null };

/** Recorder that also keeps every recorded latency by request index (for exact assertions). */
class SpyRecorder extends LatencyRecorder {
  readonly latency = new Map<number, number>();
  readonly lag = new Map<number, number>();
  constructor(private readonly warmup: number) {
    super(warmup);
  }
  override recordSend(i: number, intendedNs: number, actualNs: number): void {
    super.recordSend(i, intendedNs, actualNs);
    if (i >= this.warmup) this.lag.set(i, sendLagNs(intendedNs, actualNs));
  }
  override recordCompletion(i: number, intendedNs: number, doneNs: number, o: Outcome): void {
    super.recordCompletion(i, intendedNs, doneNs, o);
    if (i >= this.warmup) this.latency.set(i, latencyNs(intendedNs, doneNs));
  }
  override recordTimeout(i: number, intendedNs: number, deadlineNs: number): void {
    super.recordTimeout(i, intendedNs, deadlineNs);
    if (i >= this.warmup) this.latency.set(i, latencyNs(intendedNs, deadlineNs));
  }
}

/** A target answering each request `serviceNs` after it was sent (per-request override allowed). */
function serviceTarget(sim: SimTime, serviceNs: (i: number) => number | null, outcome: (i: number) => Outcome = () => ACK): SendFn {
  return (i, done) => {
    const s = serviceNs(i);
    if (s === null) return; // never answers
    sim.schedule(s, () => done(outcome(i)));
  };
}

async function simulate(opts: {
  rate: number;
  durationMs: number;
  warmupMs?: number;
  send: (sim: SimTime) => SendFn;
  maxOutstanding?: number;
  drainTimeoutMs?: number;
  startNs?: number;
}): Promise<{ sim: SimTime; schedule: OpenLoopSchedule; rec: SpyRecorder }> {
  const sim = new SimTime();
  const schedule = new OpenLoopSchedule(opts.startNs ?? 5 * MS, { ratePerSec: opts.rate, durationMs: opts.durationMs, warmupMs: opts.warmupMs });
  const rec = new SpyRecorder(schedule.warmupCount);
  const done = runOpenLoop({
    schedule,
    send: opts.send(sim),
    recorder: rec,
    clock: sim,
    timer: sim,
    maxOutstanding: opts.maxOutstanding,
    drainTimeoutMs: opts.drainTimeoutMs ?? 1000,
  });
  sim.run();
  await done;
  return { sim, schedule, rec };
}

describe('schedule math', () => {
  test('intended times, counts and warm-up', () => {
    const s = new OpenLoopSchedule(1000, { ratePerSec: 4, durationMs: 2000, warmupMs: 500 });
    assert.equal(s.intervalNs, 250 * MS);
    assert.equal(s.warmupCount, 2);
    assert.equal(s.total, 10);
    assert.deepEqual([0, 1, 2, 9].map((i) => s.intendedNs(i)), [1000, 1000 + 250 * MS, 1000 + 500 * MS, 1000 + 2250 * MS]);
    assert.equal(s.measuredStartNs, 1000 + 500 * MS);
    assert.ok(s.isWarmup(1));
    assert.ok(!s.isWarmup(2));
  });

  test('intended times do not drift with a non-integer interval', () => {
    const s = new OpenLoopSchedule(0, { ratePerSec: 3, durationMs: 1_000_000 });
    assert.equal(s.intendedNs(3), 1e9);
    assert.equal(s.intendedNs(3_000_000), 1e15);
  });

  test('dueCount agrees with intendedNs everywhere', () => {
    const s = new OpenLoopSchedule(7, { ratePerSec: 7919, durationMs: 50 });
    assert.equal(s.dueCount(6), 0);
    assert.equal(s.dueCount(7), 1);
    for (let i = 1; i < s.total; i++) {
      const t = s.intendedNs(i);
      assert.equal(s.dueCount(t), i + 1, `at intended(${i})`);
      assert.equal(s.dueCount(t - 0.5), i, `just before intended(${i})`);
    }
    assert.equal(s.dueCount(1e18), s.total);
  });

  test('lag and latency accounting', () => {
    assert.equal(sendLagNs(100, 150), 50);
    assert.equal(sendLagNs(100, 90), 0);
    assert.equal(latencyNs(100, 400), 300);
  });

  test('rejects plans with nothing to send', () => {
    assert.throws(() => new OpenLoopSchedule(0, { ratePerSec: 0, durationMs: 1000 }), RangeError);
    assert.throws(() => new OpenLoopSchedule(0, { ratePerSec: 1, durationMs: 0 }), RangeError);
    assert.throws(() => new OpenLoopSchedule(0, { ratePerSec: 1, durationMs: 10 }), RangeError);
  });
});

describe('open-loop runner (simulated clock)', () => {
  test('on schedule: every latency equals the service time, no lag', async () => {
    const { rec, schedule } = await simulate({ rate: 1000, durationMs: 1000, send: (sim) => serviceTarget(sim, () => 100 * US) });
    assert.equal(rec.sent, 1000);
    assert.equal(rec.completed, 1000);
    assert.equal(rec.acceptedCount, 1000);
    for (const [, v] of rec.latency) assert.equal(v, 100 * US);
    for (const [, v] of rec.lag) assert.equal(v, 0);
    for (const p of [0, 50, 100]) {
      const v = rec.all.getValueAtPercentile(p);
      assert.ok(Math.abs(v - 100 * US) <= 100, `p${p} = ${v} (HDR keeps 3 significant digits)`);
    }
    const s = buildSummary({ label: null, target: 'sim', startedAt: new Date(0), config: {}, schedule, recorder: rec });
    assert.equal(s.rates.offered, 1000);
    assert.equal(s.requests.scheduled, 1000);
    assert.equal(s.byStatus.ACK, 1000);
    assert.deepEqual(s.warnings, []);
  });

  test('a generator stall is charged to every request it delayed (no coordinated omission)', async () => {
    // Sending request 100 blocks the generator for 50 ms (think: a GC pause).
    const { rec, schedule } = await simulate({
      rate: 1000,
      durationMs: 1000,
      send: (sim) => (i, done) => {
        if (i === 100) sim.t += 50 * MS;
        sim.schedule(100 * US, () => done(ACK));
      },
    });
    assert.equal(rec.completed, 1000);
    // Requests 101..149 were due during the stall and left in a burst at its end.
    for (let i = 101; i <= 149; i++) {
      const intended = schedule.intendedNs(i);
      const stallEnd = schedule.intendedNs(100) + 50 * MS;
      assert.equal(rec.lag.get(i), stallEnd - intended, `lag of ${i}`);
      assert.equal(rec.latency.get(i), stallEnd - intended + 100 * US, `latency of ${i}`);
    }
    assert.equal(rec.lag.get(150), 0);
    assert.equal(rec.latency.get(150), 100 * US);
    // 50 requests carry lag: the tail shows it (p95 >= 1 ms) instead of a single outlier.
    const slow = [...rec.latency.values()].filter((v) => v > 1 * MS).length;
    assert.equal(slow, 50);
    assert.ok(rec.all.getValueAtPercentile(96) > 1 * MS);
  });

  test('a target stall does not slow the sends down; the wait is in the latency', async () => {
    // Requests sent in [200 ms, 220 ms) are answered only at 220 ms + 100 µs.
    const { rec, schedule } = await simulate({
      rate: 1000,
      durationMs: 500,
      startNs: 0,
      send: (sim) => (i, done) => {
        const t = sim.nowNs();
        const finishAt = t >= 200 * MS && t < 220 * MS ? 220 * MS + 100 * US : t + 100 * US;
        sim.schedule(finishAt - t, () => done(ACK));
      },
    });
    for (const [, v] of rec.lag) assert.equal(v, 0);
    assert.equal(rec.latency.get(200), 20 * MS + 100 * US);
    assert.equal(rec.latency.get(219), 1 * MS + 100 * US);
    assert.equal(rec.latency.get(220), 100 * US);
    const s = buildSummary({ label: null, target: 'sim', startedAt: new Date(0), config: {}, schedule, recorder: rec });
    assert.equal(s.rates.offered, 1000);
  });

  test('the outstanding cap delays sends and the delay is measured', async () => {
    const { rec } = await simulate({
      rate: 1000,
      durationMs: 100,
      maxOutstanding: 5,
      send: (sim) => serviceTarget(sim, () => 10 * MS),
    });
    assert.equal(rec.completed, 100);
    assert.ok(rec.capWaits > 0);
    // Capacity is 5 per 10 ms = 500/s against 1000/s offered: request 99 waits ~100 ms.
    assert.ok((rec.lag.get(99) ?? 0) > 80 * MS, `lag ${rec.lag.get(99)}`);
    assert.equal(rec.latency.get(99), (rec.lag.get(99) ?? 0) + 10 * MS);
  });

  test('unanswered requests become TIMEOUT with a lower-bound latency', async () => {
    const { rec, schedule, sim } = await simulate({
      rate: 100,
      durationMs: 100,
      drainTimeoutMs: 250,
      send: (sim) => serviceTarget(sim, (i) => (i === 3 ? null : 1 * MS), (i) => (i % 2 ? ACK : { accepted: false, status: 'REJECTED', reason: 'RATE_LIMITED' })),
    });
    assert.equal(rec.completed, 9);
    assert.equal(rec.timedOut, 1);
    const lastSend = schedule.intendedNs(9);
    assert.equal(sim.t, lastSend + 250 * MS);
    assert.equal(rec.latency.get(3), lastSend + 250 * MS - schedule.intendedNs(3));
    const s = buildSummary({ label: 'x', target: 'sim', startedAt: new Date(0), config: {}, schedule, recorder: rec });
    // odd requests are accepted, even ones rejected; request 3 never answers
    assert.deepEqual(s.byStatus, { REJECTED: 5, ACK: 4, TIMEOUT: 1 });
    assert.deepEqual(s.byReason, { RATE_LIMITED: 5 });
    assert.equal(s.latencyUs.all.count, 10);
    assert.equal(s.latencyUs.accepted.count, 4);
    assert.ok(s.warnings.some((w) => w.includes('TIMEOUT')));
  });

  test('late answers after the drain deadline are ignored', async () => {
    const { rec } = await simulate({
      rate: 100,
      durationMs: 50,
      drainTimeoutMs: 10,
      send: (sim) => serviceTarget(sim, (i) => (i === 4 ? 500 * MS : 1 * MS)),
    });
    assert.equal(rec.completed, 4);
    assert.equal(rec.timedOut, 1);
  });

  test('warm-up requests are sent but not recorded', async () => {
    const { rec } = await simulate({ rate: 1000, durationMs: 100, warmupMs: 20, send: (sim) => serviceTarget(sim, () => 1 * MS) });
    assert.equal(rec.warmupSent, 20);
    assert.equal(rec.warmupCompleted, 20);
    assert.equal(rec.sent, 100);
    assert.equal(rec.all.totalCount, 100);
    assert.equal(rec.latency.size, 100);
    assert.equal(Math.min(...rec.latency.keys()), 20);
  });

  test('synchronous answers work (done called inside send)', async () => {
    const { rec } = await simulate({ rate: 1000, durationMs: 10, send: () => (_i, done) => done(ACK) });
    assert.equal(rec.completed, 10);
    for (const [, v] of rec.latency) assert.equal(v, 0);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { judgeOpenLoop, type GeneratorRun, type OpenLoopRound } from '../../../bench/lib/gates/open-loop.js';
import { findKnee, parseLevels, type CapacityLevel } from '../../../bench/lib/gates/capacity.js';
import { dominantInterval, judgeDurability, parseCases, type SweepCase } from '../../../bench/lib/gates/durability.js';
import type { NoiseLimits } from '../../../bench/lib/noise.js';

const LIMITS: NoiseLimits = { maxProbeSpread: 0.5, maxCeilingSpread: 0.6, minRounds: 3 };
const QUIET_PROBE = [31.2, 30.8, 31.9, 32.4, 31.0, 30.9];
const NOISY_PROBE = [41.54, 68.34, 70.92, 86.72, 92.21, 80.6];
const T = { p99Ratio: 1.5, p50Ratio: 1.2, acceptedRate: 1, killedMax: 0, lossSuspectMax: 0, offeredRatioMin: 0.99, lagMaxFraction: 0.1 };

const gen = (o: Partial<GeneratorRun> = {}): GeneratorRun => ({ targetRps: 10000, offeredRps: 10000, completedRps: 10000, scheduled: 600000, accepted: 600000, p50Us: 120, p99Us: 900, sendLagP99Us: 40, ...o });
const round = (bare: Partial<GeneratorRun>, gw: Partial<GeneratorRun>, killed = 0, lossSuspect = 0): OpenLoopRound => ({ bare: gen(bare), gateway: gen(gw), killed, lossSuspect });

describe('open-loop gate', () => {
  test('PASS when the gateway stays within 1.5× p99 and 1.2× p50 of bare', () => {
    const rs = [round({}, { p99Us: 1200, p50Us: 130 }), round({}, { p99Us: 1100, p50Us: 125 }), round({}, { p99Us: 1300, p50Us: 140 })];
    const d = judgeOpenLoop(rs, QUIET_PROBE, T, LIMITS);
    assert.equal(d.verdict, 'PASS', d.reasons.join('; '));
  });

  test('FAIL on the p99 ratio (the recorded 11 ms result against a sub-ms bare p99)', () => {
    const rs = [1, 2, 3].map(() => round({}, { p99Us: 11000, p50Us: 169, sendLagP99Us: 80 }));
    const d = judgeOpenLoop(rs, QUIET_PROBE, T, LIMITS);
    assert.equal(d.verdict, 'FAIL');
    assert.match(d.reasons.join(' '), /p99_ratio/);
  });

  test('FAIL on a kill, a loss-suspect order, or one unaccepted request', () => {
    const ok = [1, 2, 3].map(() => round({}, { p99Us: 1000 }));
    assert.equal(judgeOpenLoop([...ok.slice(0, 2), { ...ok[2]!, killed: 3 }], QUIET_PROBE, T, LIMITS).verdict, 'FAIL');
    assert.equal(judgeOpenLoop([...ok.slice(0, 2), { ...ok[2]!, lossSuspect: 1 }], QUIET_PROBE, T, LIMITS).verdict, 'FAIL');
    assert.equal(judgeOpenLoop([...ok.slice(0, 2), round({}, { p99Us: 1000, accepted: 599999 })], QUIET_PROBE, T, LIMITS).verdict, 'FAIL');
  });

  test('INCONCLUSIVE when the generator shaped the tail (the recorded 2.9 ms lag against 11 ms)', () => {
    const rs = [1, 2, 3].map(() => round({}, { p99Us: 11000, sendLagP99Us: 2900 }));
    const d = judgeOpenLoop(rs, QUIET_PROBE, T, LIMITS);
    assert.equal(d.verdict, 'INCONCLUSIVE');
    assert.match(d.reasons.join(' '), /generator send lag/);
  });

  test('generator lag in a bare round: a PASS is not trusted, a FAIL stands', () => {
    // the recorded 14:37 run: bare p99 1.2 ms with the generator's own lag 149 µs (> 10 %)
    const laggedBare = { p99Us: 1200, sendLagP99Us: 149 };
    const fail = judgeOpenLoop([1, 2, 3].map(() => round(laggedBare, { p99Us: 66_000, sendLagP99Us: 2100 })), QUIET_PROBE, T, LIMITS);
    assert.equal(fail.verdict, 'FAIL', fail.reasons.join('; '));
    assert.match(fail.reasons.join(' '), /failure stands/);
    const pass = judgeOpenLoop([1, 2, 3].map(() => round(laggedBare, { p99Us: 1300, p50Us: 125 })), QUIET_PROBE, T, LIMITS);
    assert.equal(pass.verdict, 'INCONCLUSIVE');
    assert.match(pass.reasons.join(' '), /may have inflated/);
  });

  test('generator lag in a gateway round: a FAIL is not trusted, a PASS stands', () => {
    const pass = judgeOpenLoop([1, 2, 3].map(() => round({}, { p99Us: 1200, p50Us: 125, sendLagP99Us: 400 })), QUIET_PROBE, T, LIMITS);
    assert.equal(pass.verdict, 'PASS', pass.reasons.join('; '));
  });

  test('INCONCLUSIVE when the bare server cannot take the rate (no ceiling to judge against)', () => {
    const rs = [1, 2, 3].map(() => round({ completedRps: 8500, p99Us: 1_700_000 }, { p99Us: 1_000_000 }));
    const d = judgeOpenLoop(rs, QUIET_PROBE, T, LIMITS);
    assert.equal(d.verdict, 'INCONCLUSIVE');
    assert.match(d.reasons.join(' '), /bare server completed 8500/);
  });

  test('INCONCLUSIVE when the load was not applied, or the machine was noisy', () => {
    const under = [1, 2, 3].map(() => round({ offeredRps: 9000 }, {}));
    assert.match(judgeOpenLoop(under, QUIET_PROBE, T, LIMITS).reasons.join(' '), /offered 9000/);
    assert.equal(judgeOpenLoop([1, 2, 3].map(() => round({}, {})), NOISY_PROBE, T, LIMITS).verdict, 'INCONCLUSIVE');
  });
});

describe('capacity knee', () => {
  const level = (rate: number, gwP99: number, o: { bareOffered?: number; bareCompleted?: number; accepted?: number; killed?: number; bareLag?: number } = {}): CapacityLevel => ({
    rate,
    bare: gen({ targetRps: rate, offeredRps: o.bareOffered ?? rate, completedRps: o.bareCompleted ?? rate, p99Us: 500, sendLagP99Us: o.bareLag ?? 20 }),
    gateway: gen({ targetRps: rate, offeredRps: rate, completedRps: rate, p99Us: gwP99, accepted: o.accepted ?? 600000 }),
    killed: o.killed ?? 0,
  });
  const t = { offeredRatioMin: 0.99, lagMaxFraction: 0.1 };

  test('the knee is the last holding rate before the first break', () => {
    const k = findKnee([level(5000, 600), level(10000, 700), level(20000, 2000), level(40000, 600)], 1.5, t);
    assert.equal(k.knee, 10000);
    assert.equal(k.endedBy, 'break');
    assert.deepEqual(k.levels.map((l) => l.outcome), ['holds', 'holds', 'breaks']);
  });

  test('a kill or a reject breaks a level; a bare server that cannot keep up ends the sweep as the ceiling', () => {
    assert.equal(findKnee([level(5000, 600, { killed: 1 })], 1.5, t).levels[0]!.outcome, 'breaks');
    assert.ok(Number.isNaN(findKnee([level(5000, 600, { accepted: 1 })], 1.5, t).knee));
    const c = findKnee([level(5000, 600), level(80000, 600, { bareOffered: 60000 })], 1.5, t);
    assert.equal(c.endedBy, 'ceiling');
    assert.equal(c.knee, 5000);
    assert.equal(findKnee([level(5000, 600)], 1.5, t).endedBy, 'levels-exhausted');
    // the bare server fell behind (recorded: bare node:http at 10k/s on a loaded machine completed ~8.5k/s)
    assert.equal(findKnee([level(5000, 600), level(10000, 600, { bareCompleted: 8500 })], 1.5, t).endedBy, 'ceiling');
  });

  test('generator lag in the bare run: a break is a break, a hold is not trusted', () => {
    // recorded 14:44: at 2500/s the gateway's p99 was 3.4 × bare while the generator lagged 127 µs of a 1.2 ms bare p99
    const broke = findKnee([level(2500, 1700, { bareLag: 60 })], 1.5, t);
    assert.equal(broke.endedBy, 'break');
    assert.ok(Number.isNaN(broke.knee));
    const held = findKnee([level(2500, 600), level(5000, 600, { bareLag: 60 })], 1.5, t);
    assert.equal(held.endedBy, 'ceiling');
    assert.equal(held.knee, 2500);
  });

  test('LEVELS accepts rates and the original label:conns:threads form', () => {
    assert.deepEqual(parseLevels('2500,5000'), [{ rate: 2500 }, { rate: 5000 }]);
    assert.deepEqual(parseLevels('10k:40:4,20k:80:4'), [{ rate: 10000, connections: 40 }, { rate: 20000, connections: 80 }]);
    assert.throws(() => parseLevels('fast'), /LEVELS/);
  });
});

describe('durability criteria', () => {
  const base: SweepCase = { name: 'baseline_w200_b64', rps: 30000, accP99Us: 7000, durableAckP99Us: 3800, queueFullTotal: 0, rejectedRate: 0 };
  const bares = [40000, 41000, 39500];

  test('PASS when the candidate cuts the client p99 by 5 % without a slower durable ack', () => {
    const d = judgeDurability(base, { ...base, name: 'tuned_w150_b64', accP99Us: 6500, durableAckP99Us: 4000 }, QUIET_PROBE, bares, LIMITS);
    assert.equal(d.verdict, 'PASS', d.reasons.join('; '));
  });

  test('FAIL on a full queue, more rejects, or no p99 gain', () => {
    assert.equal(judgeDurability(base, { ...base, accP99Us: 6500, queueFullTotal: 2 }, QUIET_PROBE, bares, LIMITS).verdict, 'FAIL');
    assert.equal(judgeDurability(base, { ...base, accP99Us: 6500, rejectedRate: 0.01 }, QUIET_PROBE, bares, LIMITS).verdict, 'FAIL');
    assert.equal(judgeDurability(base, { ...base, accP99Us: 6900 }, QUIET_PROBE, bares, LIMITS).verdict, 'FAIL');
  });

  test('INCONCLUSIVE when noisy', () => {
    assert.equal(judgeDurability(base, { ...base, accP99Us: 6500 }, NOISY_PROBE, bares, LIMITS).verdict, 'INCONCLUSIVE');
  });

  test('case names and the dominant interval', () => {
    assert.deepEqual(parseCases('baseline_w200_b64,x:150:32'), [{ name: 'baseline_w200_b64', waitUs: 200, batch: 64 }, { name: 'x', waitUs: 150, batch: 32 }]);
    assert.throws(() => parseCases('fast'), /CASES/);
    assert.equal(dominantInterval({ walEnqueueP99Us: NaN, fdatasyncP99Us: 2700, durableNotifyP99Us: NaN }), 'fdatasync');
    assert.equal(dominantInterval({ walEnqueueP99Us: 900, fdatasyncP99Us: 200, durableNotifyP99Us: 100 }), 'enqueue');
    assert.equal(dominantInterval({ walEnqueueP99Us: NaN, fdatasyncP99Us: NaN, durableNotifyP99Us: NaN }), 'NA');
  });
});

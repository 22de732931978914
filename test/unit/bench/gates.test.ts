import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, checkLines, decide } from '../../../bench/lib/gates/verdict.js';
import { judgeAbsolute, type AbsoluteRound } from '../../../bench/lib/gates/absolute.js';
import { judgeLoop } from '../../../bench/lib/gates/loop.js';
import { judgePerf, PERF_BANDS, perfExitCode, perfWarnings, regression, type PerfBaseline, type PerfRound } from '../../../bench/lib/gates/perf.js';
import type { NoiseLimits } from '../../../bench/lib/noise.js';

const LIMITS: NoiseLimits = { maxProbeSpread: 0.5, maxCeilingSpread: 0.6, minRounds: 3 };
/** CPU-probe samples of a quiet phase (ms), as recorded by the gates. */
const QUIET_PROBE = [31.2, 30.8, 31.9, 32.4, 31.0, 30.9];
/** Samples recorded on this machine while another engineer's job ran (05:43 UTC). */
const NOISY_PROBE = [80.18, 82.94, 83.44, 64.06, 52.02, 131.83, 57.88, 64.29, 73.3];

describe('checks and verdicts', () => {
  test('a check passes, warns in its band, fails beyond it; NaN never passes', () => {
    assert.equal(check('r', 0.85, '>=', 0.8, 0.7).outcome, 'pass');
    assert.equal(check('r', 0.75, '>=', 0.8, 0.7).outcome, 'warn');
    assert.equal(check('r', 0.65, '>=', 0.8, 0.7).outcome, 'fail');
    assert.equal(check('p', 12, '<=', 15).outcome, 'pass');
    assert.equal(check('p', 16, '<=', 15).outcome, 'fail');
    assert.equal(check('p', NaN, '<=', 15).outcome, 'fail');
  });

  test('decide: inconclusive wins, then fail, then warn', () => {
    const pass = check('a', 1, '>=', 0.8);
    const warn = check('b', 0.75, '>=', 0.8, 0.7);
    const fail = check('c', 0.1, '>=', 0.8);
    assert.equal(decide([pass]).verdict, 'PASS');
    assert.equal(decide([pass, warn]).verdict, 'WARN');
    assert.equal(decide([pass], [], ['regressed']).verdict, 'WARN');
    assert.equal(decide([pass, warn, fail]).verdict, 'FAIL');
    const inc = decide([fail], ['too noisy']);
    assert.equal(inc.verdict, 'INCONCLUSIVE');
    assert.match(inc.reasons.join('\n'), /not judged/);
  });

  test('summary lines carry observed, target and pass flags for awk -F=', () => {
    const lines = checkLines(decide([check('ratio_vs_bare', 1.09, '>=', 0.8)]));
    assert.ok(lines.includes('observed_ratio_vs_bare=1.09'));
    assert.ok(lines.includes('target_ratio_vs_bare=>=0.8'));
    assert.ok(lines.includes('gate_pass_ratio_vs_bare=1'));
    assert.ok(lines.includes('verdict=PASS'));
  });
});

describe('absolute gate', () => {
  // Recorded: bench:v3 of 2026-11-25 18:21 (BENCHMARKS.md) plus floor figures of the same shape.
  const recorded: AbsoluteRound[] = [
    { bareRps: 43476, floorRps: 60100, gatewayRps: 50550, liveAckAcceptedP99Us: 8, liveAckP99Us: 9, acceptedRate: 1 },
    { bareRps: 30651, floorRps: 52800, gatewayRps: 47264, liveAckAcceptedP99Us: 10, liveAckP99Us: 11, acceptedRate: 1 },
    { bareRps: 45268, floorRps: 61900, gatewayRps: 47326, liveAckAcceptedP99Us: 10, liveAckP99Us: 12, acceptedRate: 1 },
  ];
  const targets = { ratioBare: 0.8, ratioFloor: 0.7, ackP99Us: 15, acceptedRate: 0.95 };

  test('PASS on the recorded fast-lane rounds in a quiet phase', () => {
    const d = judgeAbsolute(recorded, QUIET_PROBE, targets, LIMITS);
    assert.equal(d.verdict, 'PASS', d.reasons.join('; '));
    assert.ok(d.ratioVsBare.every((r) => r > 1));
  });

  test('FAIL on the recorded node:http-only rounds (ratio 0.55)', () => {
    const slow = recorded.map((r, i) => ({ ...r, gatewayRps: [19565, 24019, 24973][i]!, liveAckAcceptedP99Us: 13 }));
    const d = judgeAbsolute(slow, QUIET_PROBE, targets, LIMITS);
    assert.equal(d.verdict, 'FAIL');
    assert.match(d.reasons.join(' '), /ratio_vs_bare/);
  });

  test('FAIL on the accepted rate or the in-handler p99 alone', () => {
    assert.equal(judgeAbsolute(recorded.map((r) => ({ ...r, acceptedRate: 0.9 })), QUIET_PROBE, targets, LIMITS).verdict, 'FAIL');
    assert.equal(judgeAbsolute(recorded.map((r) => ({ ...r, liveAckAcceptedP99Us: 50 })), QUIET_PROBE, targets, LIMITS).verdict, 'FAIL');
  });

  test('INCONCLUSIVE in a noisy phase, even with figures that would fail', () => {
    const d = judgeAbsolute(recorded.map((r) => ({ ...r, gatewayRps: 1000 })), NOISY_PROBE, targets, LIMITS);
    assert.equal(d.verdict, 'INCONCLUSIVE');
    assert.match(d.reasons[0]!, /probe spread/);
  });

  test('INCONCLUSIVE when the ceiling swings between rounds, or with too few rounds', () => {
    const swing = recorded.map((r, i) => ({ ...r, bareRps: [12000, 43476, 45268][i]! }));
    assert.equal(judgeAbsolute(swing, QUIET_PROBE, targets, LIMITS).verdict, 'INCONCLUSIVE');
    assert.equal(judgeAbsolute(recorded.slice(0, 1), QUIET_PROBE, targets, LIMITS).verdict, 'INCONCLUSIVE');
  });
});

describe('absolute gate loop', () => {
  test('PASS, FAIL and INCONCLUSIVE from run verdicts', () => {
    assert.equal(judgeLoop(['PASS', 'PASS', 'PASS'], 1).verdict, 'PASS');
    assert.equal(judgeLoop(['PASS', 'FAIL', 'PASS'], 1).verdict, 'FAIL');
    assert.equal(judgeLoop(['PASS', 'FAIL', 'PASS'], 0.6).verdict, 'PASS');
    // inconclusive runs count neither way
    const d = judgeLoop(['PASS', 'INCONCLUSIVE', 'PASS', 'PASS'], 1);
    assert.equal(d.verdict, 'PASS');
    assert.equal(d.passRatio, 1);
    assert.equal(judgeLoop(['INCONCLUSIVE', 'INCONCLUSIVE', 'PASS'], 1).verdict, 'INCONCLUSIVE');
    assert.equal(judgeLoop([], 1).verdict, 'INCONCLUSIVE');
  });
});

describe('perf gate', () => {
  const round = (o: Partial<PerfRound> = {}): PerfRound => ({
    bareRps: 40000, floorRps: 55000, v3Rps: 44000, durableRps: 34000, durableAckP99Us: 3800, fdatasyncP99Us: 2700,
    bareRttP50Us: 60, bareRttP99Us: 150, v3RttP50Us: 70, v3RttP99Us: 200, ...o,
  });
  const bands = Object.fromEntries(Object.entries(PERF_BANDS).map(([k, b]) => [k, { better: b.better, pass: b.pass, warn: b.warn }])) as Parameters<typeof judgePerf>[2];
  const three = (o: Partial<PerfRound> = {}) => [round(o), round(o), round(o)];

  test('PASS, WARN (band), FAIL (beyond the band)', () => {
    assert.equal(judgePerf(three(), QUIET_PROBE, bands, LIMITS, null, 0.05).verdict, 'PASS');
    assert.equal(judgePerf(three({ v3Rps: 30000, floorRps: 42000 }), QUIET_PROBE, bands, LIMITS, null, 0.05).verdict, 'WARN');
    const f = judgePerf(three({ v3Rps: 20000 }), QUIET_PROBE, bands, LIMITS, null, 0.05);
    assert.equal(f.verdict, 'FAIL');
    assert.equal(judgePerf(three({ durableAckP99Us: 20000 }), QUIET_PROBE, bands, LIMITS, null, 0.05).verdict, 'FAIL');
  });

  test('a regression against the baseline beyond the tolerance turns PASS into WARN', () => {
    const base: PerfBaseline = { updated_at: '2026-11-25T18:21:00Z', runner_label: null, metrics: { v3_throughput_ratio: 1.2 } };
    const d = judgePerf(three(), QUIET_PROBE, bands, LIMITS, base, 0.05);
    assert.equal(d.verdict, 'WARN');
    assert.ok(d.regressions.v3_throughput_ratio! > 0.05);
    assert.equal(judgePerf(three(), QUIET_PROBE, bands, LIMITS, { ...base, metrics: { v3_throughput_ratio: 1.1 } }, 0.05).verdict, 'PASS');
    assert.equal(regression('lower', 2, 2.2).toFixed(2), '0.10');
    assert.equal(regression('higher', 1, 1.1) < 0, true);
  });

  test('INCONCLUSIVE when noisy; exit codes follow --ci, STRICT and ALLOW_INCONCLUSIVE', () => {
    assert.equal(judgePerf(three({ v3Rps: 1 }), NOISY_PROBE, bands, LIMITS, null, 0.05).verdict, 'INCONCLUSIVE');
    const o = { ci: true, strict: false, allowInconclusive: false };
    assert.equal(perfExitCode('PASS', o), 0);
    assert.equal(perfExitCode('WARN', o), 0);
    assert.equal(perfExitCode('WARN', { ...o, strict: true }), 1);
    assert.equal(perfExitCode('FAIL', o), 1);
    assert.equal(perfExitCode('FAIL', { ...o, ci: false }), 0);
    assert.equal(perfExitCode('INCONCLUSIVE', o), 3);
    assert.equal(perfExitCode('INCONCLUSIVE', { ...o, allowInconclusive: true }), 0);
  });

  test('the original absolute knobs are reported as not used', () => {
    assert.deepEqual(perfWarnings({}), []);
    assert.match(perfWarnings({ PERF_P99_US: '2000' })[0]!, /PERF_P99_US is set but not used/);
  });
});

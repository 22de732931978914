/**
 * The perf gate (the original's `make perf-gate-rust[-ci|-nightly|-bless]`, perf_gate.py), on
 * ratios measured against ceilings in the same run, interleaved rounds.
 *
 * The original judged absolute RTT p50/p99/max and wrk req/s against PASS and WARN thresholds,
 * then compared with a blessed baseline: a regression beyond BASELINE_REGRESSION turned a PASS
 * into a WARN. Same structure here, on these metrics (medians over rounds):
 *
 *   metric                         better   PASS      WARN      meaning
 *   v3_throughput_ratio            higher   ≥ 0.8     ≥ 0.7     /v3 req/s ÷ bare node:http req/s
 *   v3_floor_ratio                 higher   ≥ 0.7     ≥ 0.6     /v3 req/s ÷ raw node:net floor req/s
 *   durable_throughput_ratio       higher   ≥ 0.8     ≥ 0.6     /orders acks/s ÷ bare req/s
 *   durable_ack_vs_fdatasync_p99   lower    ≤ 3       ≤ 5       gateway_durable_ack_p99_us ÷ gateway_fdatasync_p99_us
 *   v3_rtt_p50_ratio               lower    ≤ 1.5     ≤ 2.5     one connection: /v3 p50 ÷ bare p50
 *   v3_rtt_p99_ratio               lower    ≤ 2       ≤ 4       one connection: /v3 p99 ÷ bare p99
 *
 * Each limit has a PERF_* knob (docs/benchmarks.md). The original's absolute knobs
 * (PERF_P50_US, PERF_P99_US, PERF_MAX_US, PERF_THROUGHPUT_RPS) are not used: see perfWarnings().
 */
import { assessNoise, type NoiseAssessment, type NoiseLimits } from '../noise.js';
import { median, ratios } from '../stats.js';
import { check, decide, type Check, type GateDecision } from './verdict.js';

export interface PerfRound {
  bareRps: number;
  floorRps: number;
  v3Rps: number;
  durableRps: number;
  durableAckP99Us: number;
  fdatasyncP99Us: number;
  bareRttP50Us: number;
  bareRttP99Us: number;
  v3RttP50Us: number;
  v3RttP99Us: number;
}

export type PerfMetric = 'v3_throughput_ratio' | 'v3_floor_ratio' | 'durable_throughput_ratio' | 'durable_ack_vs_fdatasync_p99' | 'v3_rtt_p50_ratio' | 'v3_rtt_p99_ratio';

export interface Band {
  better: 'higher' | 'lower';
  pass: number;
  warn: number;
}

export const PERF_BANDS: Record<PerfMetric, Band & { knob: string }> = {
  v3_throughput_ratio: { better: 'higher', pass: 0.8, warn: 0.7, knob: 'PERF_V3_THROUGHPUT_RATIO' },
  v3_floor_ratio: { better: 'higher', pass: 0.7, warn: 0.6, knob: 'PERF_V3_FLOOR_RATIO' },
  durable_throughput_ratio: { better: 'higher', pass: 0.8, warn: 0.6, knob: 'PERF_DURABLE_THROUGHPUT_RATIO' },
  durable_ack_vs_fdatasync_p99: { better: 'lower', pass: 3, warn: 5, knob: 'PERF_DURABLE_ACK_VS_FDATASYNC' },
  v3_rtt_p50_ratio: { better: 'lower', pass: 1.5, warn: 2.5, knob: 'PERF_RTT_P50_RATIO' },
  v3_rtt_p99_ratio: { better: 'lower', pass: 2, warn: 4, knob: 'PERF_RTT_P99_RATIO' },
};

/** Medians over rounds of every gated ratio. */
export function perfMetrics(rounds: PerfRound[]): Record<PerfMetric, number> {
  const col = (f: (r: PerfRound) => number) => rounds.map(f);
  return {
    v3_throughput_ratio: median(ratios(col((r) => r.v3Rps), col((r) => r.bareRps))),
    v3_floor_ratio: median(ratios(col((r) => r.v3Rps), col((r) => r.floorRps))),
    durable_throughput_ratio: median(ratios(col((r) => r.durableRps), col((r) => r.bareRps))),
    durable_ack_vs_fdatasync_p99: median(ratios(col((r) => r.durableAckP99Us), col((r) => r.fdatasyncP99Us))),
    v3_rtt_p50_ratio: median(ratios(col((r) => r.v3RttP50Us), col((r) => r.bareRttP50Us))),
    v3_rtt_p99_ratio: median(ratios(col((r) => r.v3RttP99Us), col((r) => r.bareRttP99Us))),
  };
}

/** The baseline file (`baseline/perf_gate_rust[_<RUNNER_LABEL>].json`). */
export interface PerfBaseline {
  updated_at: string;
  runner_label: string | null;
  metrics: Partial<Record<PerfMetric, number>>;
}

/**
 * Relative regression of `actual` against `base` (positive = worse): (base − actual) / base
 * for higher-is-better metrics, (actual − base) / base for lower-is-better ones.
 */
export function regression(better: 'higher' | 'lower', base: number, actual: number): number {
  if (!(base > 0) || !Number.isFinite(actual)) return NaN;
  return better === 'higher' ? (base - actual) / base : (actual - base) / base;
}

export interface PerfDecision extends GateDecision {
  metrics: Record<PerfMetric, number>;
  regressions: Partial<Record<PerfMetric, number>>;
  noise: NoiseAssessment;
}

export function judgePerf(
  rounds: PerfRound[],
  probeMs: number[],
  bands: Record<PerfMetric, Band>,
  lim: NoiseLimits,
  baseline: PerfBaseline | null,
  tolerance: number,
): PerfDecision {
  const metrics = perfMetrics(rounds);
  const checks: Check[] = (Object.keys(bands) as PerfMetric[]).map((m) => {
    const b = bands[m];
    return check(m, metrics[m], b.better === 'higher' ? '>=' : '<=', b.pass, b.warn);
  });
  const regressions: Partial<Record<PerfMetric, number>> = {};
  const warnings: string[] = [];
  if (baseline !== null) {
    for (const m of Object.keys(bands) as PerfMetric[]) {
      const base = baseline.metrics[m];
      if (base === undefined) continue;
      const r = regression(bands[m].better, base, metrics[m]);
      regressions[m] = r;
      if (r > tolerance) warnings.push(`${m} regressed ${(r * 100).toFixed(1)} % against the baseline (${base} → ${metrics[m].toFixed(3)}; BASELINE_REGRESSION ${tolerance})`);
    }
  }
  const noise = assessNoise({ probeMs, ceilings: rounds.map((r) => r.bareRps) }, lim);
  return { ...decide(checks, noise.tooNoisy, warnings), metrics, regressions, noise };
}

/** Exit code of a perf gate run: --ci fails on FAIL, STRICT also on WARN; INCONCLUSIVE is 3. */
export function perfExitCode(verdict: GateDecision['verdict'], o: { ci: boolean; strict: boolean; allowInconclusive: boolean }): number {
  if (verdict === 'INCONCLUSIVE') return o.allowInconclusive ? 0 : o.ci ? 3 : 0;
  if (!o.ci) return 0;
  if (verdict === 'FAIL') return 1;
  if (verdict === 'WARN' && o.strict) return 1;
  return 0;
}

/** The original's absolute knobs, when set, are reported as not used (never silently ignored). */
export function perfWarnings(env: NodeJS.ProcessEnv): string[] {
  return ['PERF_P50_US', 'PERF_P99_US', 'PERF_MAX_US', 'PERF_THROUGHPUT_RPS', 'PERF_GATE_PROFILE']
    .filter((k) => env[k] !== undefined && env[k] !== '')
    .map((k) => `${k} is set but not used: this gate judges ratios against ceilings measured in the same run (see docs/benchmarks.md)`);
}

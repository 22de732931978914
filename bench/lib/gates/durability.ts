/**
 * The durability criteria (the original's check_durability_tuning_criteria.sh): a candidate
 * group-commit setting against baseline_w200_b64, both measured in the same sweep.
 *
 * PASS iff: both cases queue_full_total == 0; baseline rejected_rate ≤ 1 %; candidate
 * rejected_rate ≤ baseline's; candidate acc_p99_us ≤ 0.95 × baseline's; candidate
 * durable_ack_p99_us ≤ 1.10 × baseline's. These were already relative (same run) in the
 * original; INCONCLUSIVE is added for a noisy run.
 */
import { KnobError } from '../env.js';
import { assessNoise, type NoiseAssessment, type NoiseLimits } from '../noise.js';
import { check, decide, type GateDecision } from './verdict.js';

export interface SweepCase {
  /** e.g. baseline_w200_b64 */
  name: string;
  rps: number;
  /** client p99 of accepted (2xx) requests */
  accP99Us: number;
  durableAckP99Us: number;
  queueFullTotal: number;
  /** non-2xx ÷ all answers */
  rejectedRate: number;
}

export interface DurabilityDecision extends GateDecision {
  noise: NoiseAssessment;
}

export function judgeDurability(baseline: SweepCase, cand: SweepCase, probeMs: number[], ceilings: number[], lim: NoiseLimits): DurabilityDecision {
  const checks = [
    check('baseline_queue_full_total', baseline.queueFullTotal, '<=', 0),
    check('candidate_queue_full_total', cand.queueFullTotal, '<=', 0),
    check('baseline_rejected_rate', baseline.rejectedRate, '<=', 0.01),
    check('candidate_rejected_rate', cand.rejectedRate, '<=', baseline.rejectedRate),
    check('acc_p99_ratio', cand.accP99Us / baseline.accP99Us, '<=', 0.95),
    check('durable_ack_p99_ratio', cand.durableAckP99Us / baseline.durableAckP99Us, '<=', 1.1),
  ];
  const noise = assessNoise({ probeMs, ceilings }, lim);
  return { ...decide(checks, noise.tooNoisy), noise };
}

/** Which interval dominates a case's p99 (the original's `dominant_interval_p99`). */
export function dominantInterval(p: { walEnqueueP99Us: number; fdatasyncP99Us: number; durableNotifyP99Us: number }): string {
  const c: Array<[string, number]> = [
    ['enqueue', p.walEnqueueP99Us],
    ['fdatasync', p.fdatasyncP99Us],
    ['notify', p.durableNotifyP99Us],
  ];
  const known = c.filter(([, v]) => Number.isFinite(v));
  if (known.length === 0) return 'NA';
  return known.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

/** A group-commit case: AUDIT_FDATASYNC_MAX_WAIT_US and AUDIT_FDATASYNC_MAX_BATCH. */
export interface Case {
  name: string;
  waitUs: number;
  batch: number;
}

/** "baseline_w200_b64,..." (wait and batch from the name) or "name:wait_us:batch,...". */
export function parseCases(spec: string): Case[] {
  return spec.split(',').map((p) => {
    const parts = p.trim().split(':');
    if (parts.length === 3) return { name: parts[0]!, waitUs: Number(parts[1]), batch: Number(parts[2]) };
    const m = /_w(\d+)_b(\d+)$/.exec(p.trim());
    if (m === null) throw new KnobError(`CASES: bad case ${JSON.stringify(p)} (name_wWAIT_bBATCH or name:wait_us:batch)`);
    return { name: p.trim(), waitUs: Number(m[1]), batch: Number(m[2]) };
  });
}

/**
 * The pure absolute gate (the original's `make pure-hft-absolute-gate`), judged on ratios.
 *
 * The original passed iff wrk req/s ≥ TARGET_RPS, gateway_live_ack_p99_us ≤ TARGET_ACK_P99_US
 * and gateway_v3_accepted_rate ≥ TARGET_ACCEPTED_RATE. Absolute req/s swing several-fold within
 * minutes on this project's machines, so throughput is judged against ceilings measured in the
 * same run, in interleaved rounds (PRODUCT.md, "Performance targets"):
 *   ratio_vs_bare   median over rounds of gateway req/s ÷ bare node:http req/s   ≥ TARGET_RATIO_BARE (0.8)
 *   ratio_vs_floor  median over rounds of gateway req/s ÷ raw node:net req/s      ≥ TARGET_RATIO_FLOOR (0.7)
 *   live_ack_accepted_p99_us  median of gateway_live_ack_accepted_p99_us        ≤ TARGET_ACK_P99_US (15)
 *   accepted_rate   lowest gateway_v3_accepted_rate of the rounds               ≥ TARGET_ACCEPTED_RATE (0.95)
 * and INCONCLUSIVE when the noise guard says the run was too noisy.
 */
import { assessNoise, type NoiseAssessment, type NoiseLimits } from '../noise.js';
import { median, ratios } from '../stats.js';
import { check, decide, type GateDecision } from './verdict.js';

export interface AbsoluteRound {
  bareRps: number;
  floorRps: number;
  gatewayRps: number;
  /** gateway_live_ack_accepted_p99_us */
  liveAckAcceptedP99Us: number;
  /** gateway_live_ack_p99_us (all /v3 answers; the original's gated figure, reported) */
  liveAckP99Us: number;
  /** gateway_v3_accepted_rate */
  acceptedRate: number;
}

export interface AbsoluteTargets {
  ratioBare: number;
  ratioFloor: number;
  ackP99Us: number;
  acceptedRate: number;
}

export interface AbsoluteDecision extends GateDecision {
  noise: NoiseAssessment;
  ratioVsBare: number[];
  ratioVsFloor: number[];
}

export function judgeAbsolute(rounds: AbsoluteRound[], probeMs: number[], t: AbsoluteTargets, lim: NoiseLimits): AbsoluteDecision {
  const gw = rounds.map((r) => r.gatewayRps);
  const vsBare = ratios(gw, rounds.map((r) => r.bareRps));
  const vsFloor = ratios(gw, rounds.map((r) => r.floorRps));
  const noise = assessNoise({ probeMs, ceilings: rounds.map((r) => r.bareRps) }, lim);
  const checks = [
    check('ratio_vs_bare', median(vsBare), '>=', t.ratioBare),
    check('ratio_vs_floor', median(vsFloor), '>=', t.ratioFloor),
    check('live_ack_accepted_p99_us', median(rounds.map((r) => r.liveAckAcceptedP99Us)), '<=', t.ackP99Us),
    check('accepted_rate', rounds.length === 0 ? NaN : Math.min(...rounds.map((r) => r.acceptedRate)), '>=', t.acceptedRate),
  ];
  return { ...decide(checks, noise.tooNoisy), noise, ratioVsBare: vsBare, ratioVsFloor: vsFloor };
}

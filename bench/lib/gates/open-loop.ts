/**
 * The open-loop gate (the original's open-loop probe and local strict gate, PRODUCT.md
 * "Performance targets"): /v3/orders at TARGET_RPS (10k orders/s) for DURATION (60 s), in
 * interleaved rounds with a bare node:http server driven at the same rate by the same generator.
 *
 *   p99_ratio   median over rounds of gateway client p99 ÷ bare client p99   ≤ TARGET_P99_RATIO (1.5)
 *   p50_ratio   same for p50                                                 ≤ TARGET_P50_RATIO (1.2)
 *   accepted_ratio  gateway 2xx answers ÷ requests scheduled, worst round    ≥ TARGET_ACCEPTED_RATE (1.0)
 *   rejected_killed gateway_v3_rejected_killed_total summed                  ≤ TARGET_REJECTED_KILLED_MAX (0)
 *   loss_suspect    gateway_v3_loss_suspect_total summed                     ≤ TARGET_LOSS_SUSPECT_MAX (0)
 *
 * INCONCLUSIVE when the noise guard says so, when the generator did not apply the load in any
 * round (it offered less than TARGET_OFFERED_RPS_RATIO_MIN (0.99) of the rate), or when the bare
 * server itself could not keep up with the rate (it completed less than 0.99 of it): then the
 * machine, at that moment, cannot provide the ceiling the gateway is judged against.
 *
 * The generator's own send lag (over GENERATOR_LAG_MAX_FRACTION (0.1) of the p99 it measured)
 * can only have inflated the latencies it measured, so it makes the verdict inconclusive only in
 * the direction it could have turned: lag in a bare round inflates the ceiling and flatters the
 * ratios, so a PASS of the latency checks is not trusted (a FAIL stands: the true ratio is
 * higher still); lag in a gateway round inflates the gateway's latencies, so a FAIL of them is
 * not trusted (a PASS stands).
 */
import { assessNoise, type NoiseAssessment, type NoiseLimits } from '../noise.js';
import { median, ratios } from '../stats.js';
import { check, decide, fmt, type GateDecision } from './verdict.js';

/** What the generator measured in one run against one server. */
export interface GeneratorRun {
  targetRps: number;
  offeredRps: number;
  /** answers per second over the recorded period (falls behind the offered rate under a backlog) */
  completedRps: number;
  scheduled: number;
  accepted: number;
  p50Us: number;
  p99Us: number;
  /** the generator's own lateness against its schedule */
  sendLagP99Us: number;
}

export interface OpenLoopRound {
  bare: GeneratorRun;
  gateway: GeneratorRun;
  /** gateway_v3_rejected_killed_total at the end of the round */
  killed: number;
  /** gateway_v3_loss_suspect_total at the end of the round */
  lossSuspect: number;
}

export interface OpenLoopTargets {
  p99Ratio: number;
  p50Ratio: number;
  acceptedRate: number;
  killedMax: number;
  lossSuspectMax: number;
  offeredRatioMin: number;
  lagMaxFraction: number;
}

export interface OpenLoopDecision extends GateDecision {
  noise: NoiseAssessment;
  p99Ratios: number[];
  p50Ratios: number[];
}

/** Why the ceiling of a round cannot serve as one: the bare server fell behind the rate. */
export function ceilingProblems(label: string, g: GeneratorRun, offeredRatioMin: number): string[] {
  if (g.completedRps >= offeredRatioMin * g.targetRps && g.accepted >= g.scheduled) return [];
  return [`${label}: the bare server completed ${fmt(g.completedRps)}/s of ${fmt(g.targetRps)}/s (${g.accepted}/${g.scheduled} answered 2xx): it cannot take this rate on the machine right now`];
}

/** Why a generator run cannot be trusted (empty when it can). */
export function generatorProblems(label: string, g: GeneratorRun, t: Pick<OpenLoopTargets, 'offeredRatioMin' | 'lagMaxFraction'>): string[] {
  const out: string[] = [];
  if (!(g.offeredRps >= t.offeredRatioMin * g.targetRps)) out.push(`${label}: the generator offered ${fmt(g.offeredRps)}/s of ${fmt(g.targetRps)}/s (< ${t.offeredRatioMin}): the load asked for was not applied`);
  if (!(g.sendLagP99Us <= t.lagMaxFraction * g.p99Us)) out.push(`${label}: generator send lag p99 ${fmt(g.sendLagP99Us)} us > ${t.lagMaxFraction} × the measured p99 ${fmt(g.p99Us)} us: the generator, not the server, shaped the tail`);
  return out;
}

export function judgeOpenLoop(rounds: OpenLoopRound[], probeMs: number[], t: OpenLoopTargets, lim: NoiseLimits): OpenLoopDecision {
  const p99 = ratios(rounds.map((r) => r.gateway.p99Us), rounds.map((r) => r.bare.p99Us));
  const p50 = ratios(rounds.map((r) => r.gateway.p50Us), rounds.map((r) => r.bare.p50Us));
  // The ceiling's own spread, on its p99 (the figure the gate compares against).
  const noise = assessNoise({ probeMs, ceilings: rounds.map((r) => r.bare.p99Us) }, lim);
  const offered = (label: string, g: GeneratorRun) => generatorProblems(label, g, t).filter((w) => !isLagProblem(w));
  const lagged = (label: string, g: GeneratorRun) => generatorProblems(label, g, t).filter(isLagProblem);
  const unconditional = rounds.flatMap((r, i) => [
    ...offered(`round ${i + 1} bare`, r.bare),
    ...offered(`round ${i + 1} gateway`, r.gateway),
    ...ceilingProblems(`round ${i + 1}`, r.bare, t.offeredRatioMin),
  ]);
  const bareLag = rounds.flatMap((r, i) => lagged(`round ${i + 1} bare`, r.bare));
  const gatewayLag = rounds.flatMap((r, i) => lagged(`round ${i + 1} gateway`, r.gateway));
  const worstAccepted = rounds.length === 0 ? NaN : Math.min(...rounds.map((r) => (r.gateway.scheduled > 0 ? r.gateway.accepted / r.gateway.scheduled : 0)));
  const latency = [check('p99_ratio', median(p99), '<=', t.p99Ratio), check('p50_ratio', median(p50), '<=', t.p50Ratio)];
  const checks = [
    ...latency,
    check('accepted_ratio', worstAccepted, '>=', t.acceptedRate),
    check('rejected_killed', rounds.reduce((n, r) => n + r.killed, 0), '<=', t.killedMax),
    check('loss_suspect', rounds.reduce((n, r) => n + r.lossSuspect, 0), '<=', t.lossSuspectMax),
  ];
  const latencyFailed = latency.some((c) => c.outcome !== 'pass');
  const inconclusive = [...noise.tooNoisy, ...unconditional];
  if (latencyFailed && gatewayLag.length > 0) inconclusive.push(...gatewayLag.map((w) => `${w} (a latency check failed, and this lag may be why)`));
  if (!latencyFailed && bareLag.length > 0) inconclusive.push(...bareLag.map((w) => `${w} (the latency checks passed against a ceiling this lag may have inflated)`));
  const d = decide(checks, inconclusive);
  if (d.verdict === 'FAIL' && bareLag.length > 0) {
    d.reasons.push(...bareLag.map((w) => `${w}: it can only have lowered the ratios, the failure stands`));
  }
  return { ...d, noise, p99Ratios: p99, p50Ratios: p50 };
}

function isLagProblem(why: string): boolean {
  return why.includes('generator send lag');
}

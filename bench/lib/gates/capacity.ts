/**
 * The capacity sweep's knee (the original's run_pure_hft_capacity_sweep.sh, rebuilt as an
 * open-loop sweep): rates rise level by level; at each level the gateway and the bare node:http
 * server are driven at the same rate. A level holds when the gateway's client p99 ≤ P99 ratio ×
 * the bare p99 at that rate, every request was accepted, nothing was killed, and the generator
 * applied the load. The knee is the highest rate of the unbroken run of holding levels from the
 * bottom; a level where the bare server itself could not take the rate ends the sweep as
 * "machine ceiling", since no ratio can be judged above it — and so does a level that held only
 * against a bare p99 the generator's own lag may have inflated (a level that broke, broke).
 */
import { KnobError } from '../env.js';
import { ceilingProblems, generatorProblems, type GeneratorRun } from './open-loop.js';

export interface CapacityLevel {
  rate: number;
  bare: GeneratorRun;
  gateway: GeneratorRun;
  killed: number;
}

export interface LevelJudgement {
  rate: number;
  p99Ratio: number;
  acceptedRatio: number;
  /** holds | breaks | ceiling (the bare server or the generator could not take the rate) */
  outcome: 'holds' | 'breaks' | 'ceiling';
  why: string[];
}

export interface KneeResult {
  levels: LevelJudgement[];
  /** highest holding rate before the first break (NaN when the first level already broke) */
  knee: number;
  /** what ended the sweep */
  endedBy: 'break' | 'ceiling' | 'levels-exhausted';
}

export function judgeLevel(l: CapacityLevel, p99RatioMax: number, t: { offeredRatioMin: number; lagMaxFraction: number }): LevelJudgement {
  const p99Ratio = l.bare.p99Us > 0 ? l.gateway.p99Us / l.bare.p99Us : NaN;
  const acceptedRatio = l.gateway.scheduled > 0 ? l.gateway.accepted / l.gateway.scheduled : 0;
  const bareGen = generatorProblems('bare', l.bare, t);
  const bareLag = bareGen.filter((w) => w.includes('generator send lag'));
  const ceiling = [...bareGen.filter((w) => !bareLag.includes(w)), ...ceilingProblems('bare', l.bare, t.offeredRatioMin)];
  if (ceiling.length > 0) return { rate: l.rate, p99Ratio, acceptedRatio, outcome: 'ceiling', why: ceiling };
  const why: string[] = [];
  // The generator's lag in the bare run can only have inflated the bare p99 (as in the open-loop
  // gate): a ratio beyond the limit is a break all the same; one within it cannot be trusted.
  if (!(p99Ratio <= p99RatioMax)) why.push(`p99 ratio ${p99Ratio.toFixed(2)} > ${p99RatioMax}`);
  else if (bareLag.length > 0) return { rate: l.rate, p99Ratio, acceptedRatio, outcome: 'ceiling', why: bareLag };
  if (acceptedRatio < 1) why.push(`accepted ${(acceptedRatio * 100).toFixed(2)} % < 100 %`);
  if (l.killed > 0) why.push(`${l.killed} killed answers`);
  why.push(...generatorProblems('gateway', l.gateway, t).filter((w) => w.includes('offered')));
  return { rate: l.rate, p99Ratio, acceptedRatio, outcome: why.length === 0 ? 'holds' : 'breaks', why };
}

export function findKnee(levels: CapacityLevel[], p99RatioMax: number, t: { offeredRatioMin: number; lagMaxFraction: number }): KneeResult {
  const out: LevelJudgement[] = [];
  let knee = NaN;
  for (const l of [...levels].sort((a, b) => a.rate - b.rate)) {
    const j = judgeLevel(l, p99RatioMax, t);
    out.push(j);
    if (j.outcome === 'holds') knee = l.rate;
    else return { levels: out, knee, endedBy: j.outcome === 'ceiling' ? 'ceiling' : 'break' };
  }
  return { levels: out, knee, endedBy: 'levels-exhausted' };
}

/** "2500,5000" or the original's "10k:40:4,20k:80:4" → rates and optional connection counts. */
export function parseLevels(spec: string): Array<{ rate: number; connections?: number }> {
  return spec.split(',').map((part) => {
    const [label, conns] = part.trim().split(':');
    const m = /^(\d+(?:\.\d+)?)(k?)$/i.exec(label ?? '');
    if (m === null) throw new KnobError(`LEVELS: bad level ${JSON.stringify(part)} (expected e.g. 5000 or 10k:40:4)`);
    const rate = Number(m[1]) * (m[2] ? 1000 : 1);
    return conns !== undefined && conns !== '' ? { rate, connections: Number(conns) } : { rate };
  });
}

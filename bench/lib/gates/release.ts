/**
 * The release gate (`make release-gate`): several gates run one after the other, one verdict for
 * the release. Pure, like every gate's logic.
 *
 *   FAIL          any gate failed (or could not run: a crash or a bad knob is not a pass)
 *   INCONCLUSIVE  no gate failed, but one could not be judged (too noisy, generator-bound)
 *   WARN          every gate passed, one with a warning (a baseline regression, a WARN band)
 *   PASS          every gate passed
 *
 * A failure wins over an inconclusive run: a gate that failed on a noisy machine is still
 * reported, and the release does not go out either way.
 */
import type { Verdict } from './verdict.js';

export interface GateRun {
  /** the gate's name (its make target) */
  gate: string;
  /** the verdict its summary states, or null when it wrote none */
  verdict: Verdict | null;
  /** its exit code (0 PASS/WARN, 1 FAIL, 2 bad knob, 3 INCONCLUSIVE; anything else: crashed) */
  exitCode: number;
}

export interface ReleaseDecision {
  verdict: Verdict;
  reasons: string[];
}

/** The verdict of one run: its summary's, unless the exit code says it could not run. */
export function runVerdict(r: GateRun): Verdict {
  if (r.exitCode === 2) return 'FAIL';
  if (r.verdict !== null) return r.verdict;
  if (r.exitCode === 3) return 'INCONCLUSIVE';
  return 'FAIL';
}

export function judgeRelease(runs: readonly GateRun[]): ReleaseDecision {
  if (runs.length === 0) return { verdict: 'INCONCLUSIVE', reasons: ['no gate ran'] };
  const by = (v: Verdict) => runs.filter((r) => runVerdict(r) === v);
  const why = (r: GateRun): string =>
    r.exitCode === 2 ? `${r.gate}: a knob was refused (exit 2)` : r.verdict === null ? `${r.gate}: wrote no verdict (exit ${r.exitCode})` : `${r.gate}: ${r.verdict}`;
  const failed = by('FAIL');
  const inconclusive = by('INCONCLUSIVE');
  const warned = by('WARN');
  if (failed.length > 0) return { verdict: 'FAIL', reasons: [...failed, ...inconclusive, ...warned].map(why) };
  if (inconclusive.length > 0) return { verdict: 'INCONCLUSIVE', reasons: [...inconclusive, ...warned].map(why) };
  if (warned.length > 0) return { verdict: 'WARN', reasons: warned.map(why) };
  return { verdict: 'PASS', reasons: [] };
}

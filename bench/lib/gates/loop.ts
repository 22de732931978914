/**
 * The absolute gate loop (`make pure-hft-absolute-gate-loop`): RUNS gate runs, INTERVAL_SEC
 * apart. The original passed iff pass_count / runs ≥ MIN_PASS_RATIO. Here an INCONCLUSIVE run
 * (too noisy) counts neither way: pass_ratio = passes ÷ conclusive runs, and the loop itself is
 * INCONCLUSIVE when fewer than half of its runs were conclusive.
 */
import type { Verdict } from './verdict.js';

export interface LoopDecision {
  verdict: Verdict;
  runs: number;
  passCount: number;
  failCount: number;
  inconclusiveCount: number;
  /** passes ÷ conclusive runs (NaN when none was conclusive) */
  passRatio: number;
  reasons: string[];
}

export function judgeLoop(verdicts: Verdict[], minPassRatio: number): LoopDecision {
  const passCount = verdicts.filter((v) => v === 'PASS' || v === 'WARN').length;
  const inconclusiveCount = verdicts.filter((v) => v === 'INCONCLUSIVE').length;
  const failCount = verdicts.length - passCount - inconclusiveCount;
  const conclusive = passCount + failCount;
  const passRatio = conclusive > 0 ? passCount / conclusive : NaN;
  const base = { runs: verdicts.length, passCount, failCount, inconclusiveCount, passRatio };
  if (verdicts.length === 0) return { ...base, verdict: 'INCONCLUSIVE', reasons: ['no run'] };
  if (conclusive * 2 < verdicts.length) {
    return { ...base, verdict: 'INCONCLUSIVE', reasons: [`only ${conclusive} of ${verdicts.length} runs were conclusive (the rest too noisy)`] };
  }
  if (passRatio >= minPassRatio) return { ...base, verdict: 'PASS', reasons: [] };
  return { ...base, verdict: 'FAIL', reasons: [`pass_ratio ${passRatio.toFixed(3)} < MIN_PASS_RATIO ${minPassRatio} (${passCount} pass, ${failCount} fail)`] };
}

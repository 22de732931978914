/**
 * Verdicts of the release gates, and the checks they are made of. Pure: a gate decides from
 * recorded inputs only, so every verdict can be reproduced from a results file and is unit-tested.
 *
 *   PASS          every check within its PASS limit, the machine quiet enough to trust the figures
 *   WARN          a check between its PASS and WARN limits, or a regression against the baseline
 *   FAIL          a check beyond its WARN limit (or its PASS limit when it has no WARN band)
 *   INCONCLUSIVE  the run cannot be judged: the machine was too noisy, the load generator could
 *                 not apply the load, or too few rounds were measured. Never reported as pass.
 */

export type Verdict = 'PASS' | 'WARN' | 'FAIL' | 'INCONCLUSIVE';

export interface Check {
  /** stable key, also used in summary files (`gate_pass_<name>=1`) */
  name: string;
  value: number;
  op: '>=' | '<=';
  /** PASS limit */
  limit: number;
  /** optional WARN limit, further out than `limit`; without it, missing the limit is a FAIL */
  warnLimit?: number;
  outcome: 'pass' | 'warn' | 'fail';
}

function within(value: number, op: '>=' | '<=', limit: number): boolean {
  if (!Number.isFinite(value)) return false; // a metric that was not measured never passes
  return op === '>=' ? value >= limit : value <= limit;
}

/** One check of `value op limit`, with an optional WARN band out to `warnLimit`. */
export function check(name: string, value: number, op: '>=' | '<=', limit: number, warnLimit?: number): Check {
  let outcome: Check['outcome'] = 'fail';
  if (within(value, op, limit)) outcome = 'pass';
  else if (warnLimit !== undefined && within(value, op, warnLimit)) outcome = 'warn';
  return warnLimit === undefined ? { name, value, op, limit, outcome } : { name, value, op, limit, warnLimit, outcome };
}

export interface GateDecision {
  verdict: Verdict;
  checks: Check[];
  /** why the verdict is not PASS (human-readable, one line each) */
  reasons: string[];
}

/**
 * Combines checks into a verdict. `inconclusive` reasons (noise, generator, too few rounds)
 * win over everything: a noisy run says nothing either way. `warnings` (e.g. a baseline
 * regression) turn a PASS into a WARN.
 */
export function decide(checks: Check[], inconclusive: string[] = [], warnings: string[] = []): GateDecision {
  const failed = checks.filter((c) => c.outcome === 'fail');
  const warned = checks.filter((c) => c.outcome === 'warn');
  const describe = (c: Check): string =>
    `${c.name} = ${fmt(c.value)} (needs ${c.op} ${fmt(c.limit)}${c.warnLimit !== undefined ? `, WARN band to ${fmt(c.warnLimit)}` : ''})`;
  if (inconclusive.length > 0) {
    return { verdict: 'INCONCLUSIVE', checks, reasons: [...inconclusive, ...failed.map((c) => `(not judged) ${describe(c)}`)] };
  }
  if (failed.length > 0) return { verdict: 'FAIL', checks, reasons: [...failed.map(describe), ...warned.map(describe)] };
  if (warned.length > 0 || warnings.length > 0) return { verdict: 'WARN', checks, reasons: [...warned.map(describe), ...warnings] };
  return { verdict: 'PASS', checks, reasons: [] };
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'NA';
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

/** `key=value` lines for a summary file (the original's gate scripts read them with awk -F=). */
export function checkLines(d: GateDecision): string[] {
  return [
    ...d.checks.flatMap((c) => [`observed_${c.name}=${fmt(c.value)}`, `target_${c.name}=${c.op}${fmt(c.limit)}`, `gate_pass_${c.name}=${c.outcome === 'pass' ? 1 : 0}`]),
    `verdict=${d.verdict}`,
    `gate_pass=${d.verdict === 'PASS' ? 1 : 0}`,
    ...d.reasons.map((r, i) => `reason_${i + 1}=${r}`),
  ];
}

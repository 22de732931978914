/**
 * `npm run gate:release` / `make release-gate`: the release decided by one command. Runs the
 * gates one after the other, each as its own process with the same environment, so that each
 * starts its servers fresh and writes its own files:
 *
 *   absolute     pure-hft-absolute-gate      /v3 ratios vs bare and floor, ack p99
 *   perf         perf-gate-rust-ci           the ratios against the blessed baseline (CI codes)
 *   open-loop    pure-hft-local-strict-gate  10k orders/s vs bare node:http (enforced)
 *   durability   durability-tuning-criteria  the group-commit sweep with its criteria enforced
 *
 * RELEASE_GATES (all four, comma-separated) picks and orders them. Each gate's verdict is read
 * from its summary file; the release's verdict combines them (bench/lib/gates/release.ts): any
 * FAIL fails the release, else any INCONCLUSIVE makes it inconclusive. Every gate still runs
 * when an earlier one failed, so one run shows everything that is wrong.
 *
 * Writes var/results/release_gate_<stamp>.{tsv,summary.txt}. Exit code: 0 PASS (and WARN), 1 FAIL,
 * 3 INCONCLUSIVE, 2 bad knob. ~20 min with the defaults.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/common.js';
import { KnobError, runMain, str } from './lib/env.js';
import { type GateRun, judgeRelease, runVerdict } from './lib/gates/release.js';
import type { Verdict } from './lib/gates/verdict.js';
import { resultBase, resultsDir, tsv, writeText } from './lib/results.js';

interface GateSpec {
  /** the make target of the original */
  target: string;
  script: string;
  args: string[];
  env: Record<string, string>;
  /** its result files' name (`<name>_<stamp>.summary.txt`) */
  results: string;
}

const GATES: Record<string, GateSpec> = {
  absolute: { target: 'pure-hft-absolute-gate', script: 'absolute-gate.js', args: [], env: {}, results: 'pure_hft_gate' },
  perf: { target: 'perf-gate-rust-ci', script: 'perf-gate.js', args: ['--ci'], env: {}, results: 'perf_gate_rust' },
  'open-loop': { target: 'pure-hft-local-strict-gate', script: 'open-loop-gate.js', args: [], env: { ENFORCE_GATE: '1' }, results: 'pure_hft_open_loop' },
  durability: { target: 'durability-tuning-criteria', script: 'durable-sweep.js', args: ['--sweep', '--enforce'], env: {}, results: 'durability_tuning_scan' },
};

function run(spec: GateSpec): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'dist/bench', spec.script), ...spec.args], { env: { ...process.env, ...spec.env }, stdio: 'inherit' });
    p.once('error', () => resolve(1));
    p.once('exit', (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
  });
}

/** The newest `<name>_*.summary.txt` written since `since` (ms), or null. */
function newestSummary(name: string, since: number): string | null {
  const dir = resultsDir();
  let best: { path: string; mtime: number } | null = null;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${name}_`) || !f.endsWith('.summary.txt') || !/^\d{8}_\d{6}$/.test(f.slice(name.length + 1, -'.summary.txt'.length))) continue;
    const path = join(dir, f);
    const mtime = statSync(path).mtimeMs;
    if (mtime >= since && (best === null || mtime > best.mtime)) best = { path, mtime };
  }
  return best?.path ?? null;
}

function verdictOf(summary: string | null): Verdict | null {
  if (summary === null) return null;
  const m = /^verdict=(PASS|WARN|FAIL|INCONCLUSIVE)$/m.exec(readFileSync(summary, 'utf8'));
  return m === null ? null : (m[1] as Verdict);
}

runMain('gate:release', async () => {
  const names = str('RELEASE_GATES', Object.keys(GATES).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) if (GATES[n] === undefined) throw new KnobError(`RELEASE_GATES: unknown gate ${JSON.stringify(n)} (known: ${Object.keys(GATES).join(', ')})`);
  if (names.length === 0) throw new KnobError('RELEASE_GATES: no gate named');
  const base = resultBase('release_gate');
  const runs: Array<GateRun & { summary: string | null; seconds: number }> = [];
  for (const n of names) {
    const spec = GATES[n]!;
    console.error(`[gate:release] ${n} (${spec.target})`);
    const t0 = Date.now();
    const exitCode = await run(spec);
    const summary = newestSummary(spec.results, t0 - 1000);
    const r = { gate: n, verdict: verdictOf(summary), exitCode, summary, seconds: Math.round((Date.now() - t0) / 1000) };
    runs.push(r);
    console.error(`[gate:release] ${n}: ${runVerdict(r)} (exit ${exitCode}, ${r.seconds} s)`);
  }
  const d = judgeRelease(runs);
  writeText(`${base}.tsv`, [tsv(['gate', 'verdict', 'exit_code', 'seconds', 'summary'], runs.map((r) => ({ gate: r.gate, verdict: runVerdict(r), exit_code: r.exitCode, seconds: r.seconds, summary: r.summary ?? 'NA' }))).trimEnd()]);
  const lines = [
    'release_gate',
    `gates=${names.join(',')}`,
    ...runs.map((r) => `gate_${r.gate.replace(/-/g, '_')}=${runVerdict(r)}`),
    ...runs.map((r) => `summary_${r.gate.replace(/-/g, '_')}=${r.summary ?? 'NA'}`),
    `verdict=${d.verdict}`,
    `gate_pass=${d.verdict === 'PASS' || d.verdict === 'WARN' ? 1 : 0}`,
    ...d.reasons.map((r, i) => `reason_${i + 1}=${r}`),
    `raw_tsv=${base}.tsv`,
  ];
  writeText(`${base}.summary.txt`, lines);
  console.log(lines.join('\n'));
  console.log(`${d.verdict}: release gate${d.reasons.length > 0 ? ' — ' + d.reasons.join('; ') : ''}`);
  return d.verdict === 'FAIL' ? 1 : d.verdict === 'INCONCLUSIVE' ? 3 : 0;
});

/**
 * `npm run gate:absolute:loop` / `make pure-hft-absolute-gate-loop`: the absolute gate RUNS (6)
 * times, INTERVAL_SEC (600) apart; PASS iff pass_ratio ≥ MIN_PASS_RATIO (1.0), where
 * INCONCLUSIVE runs count neither way (bench/lib/gates/loop.ts).
 *
 * Writes var/results/pure_hft_gate_loop_<stamp>.{tsv,summary.txt}; each run writes its own
 * pure_hft_gate_<stamp>.* files. Exit code: 0 PASS, 1 FAIL, 3 INCONCLUSIVE.
 */
import { writeFileSync } from 'node:fs';
import { exitCodeOf, runAbsoluteGate } from './absolute-gate.js';
import { judgeLoop } from './lib/gates/loop.js';
import type { Verdict } from './lib/gates/verdict.js';
import { fmt } from './lib/gates/verdict.js';
import { num, runMain } from './lib/env.js';
import { sleep } from './lib/proc.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { median } from './lib/stats.js';

runMain('gate:absolute:loop', async () => {
  const runs = num('RUNS', 6, { min: 1, integer: true });
  const interval = num('INTERVAL_SEC', 600, { min: 0, integer: true });
  const minPassRatio = num('MIN_PASS_RATIO', 1.0, { min: 0, max: 1 });
  const base = resultBase('pure_hft_gate_loop');
  const rows: Array<Record<string, unknown>> = [];
  const verdicts: Verdict[] = [];
  for (let run = 1; run <= runs; run++) {
    console.error(`[gate:absolute:loop] run ${run}/${runs}`);
    let row: Record<string, unknown>;
    try {
      const r = await runAbsoluteGate();
      const c = (name: string) => r.decision.checks.find((x) => x.name === name)?.value ?? NaN;
      verdicts.push(r.decision.verdict);
      row = {
        run, rc: exitCodeOf(r.decision.verdict), verdict: r.decision.verdict, rps: median(r.rounds.map((x) => x.gatewayRps)),
        ratio_vs_bare: c('ratio_vs_bare'), ratio_vs_floor: c('ratio_vs_floor'), live_ack_p99_us: median(r.rounds.map((x) => x.liveAckP99Us)),
        live_ack_accepted_p99_us: c('live_ack_accepted_p99_us'), accepted_rate: c('accepted_rate'), probe_spread: r.decision.noise.probeSpread,
        summary_path: `${r.base}.summary.txt`,
      };
    } catch (e) {
      // A run that could not complete is a failure of the gate, not noise.
      verdicts.push('FAIL');
      row = { run, rc: 1, verdict: 'ERROR', summary_path: e instanceof Error ? e.message : String(e) };
    }
    rows.push(row);
    console.error(`[gate:absolute:loop] run ${run}/${runs}: ${row.verdict}`);
    if (run < runs && interval > 0) await sleep(interval * 1000);
  }
  const d = judgeLoop(verdicts, minPassRatio);
  const col = (k: string) => median(rows.map((r) => Number(r[k])));
  writeFileSync(`${base}.tsv`, tsv(['run', 'rc', 'verdict', 'rps', 'ratio_vs_bare', 'ratio_vs_floor', 'live_ack_p99_us', 'live_ack_accepted_p99_us', 'accepted_rate', 'probe_spread', 'summary_path'], rows));
  const lines = [
    'pure_hft_absolute_gate_loop',
    `runs=${runs}`,
    `interval_sec=${interval}`,
    `pass_count=${d.passCount}`,
    `fail_count=${d.failCount}`,
    `inconclusive_count=${d.inconclusiveCount}`,
    `pass_ratio=${fmt(d.passRatio)}`,
    `required_pass_ratio=${minPassRatio}`,
    `median_observed_rps=${fmt(col('rps'))}`,
    `median_ratio_vs_bare=${fmt(col('ratio_vs_bare'))}`,
    `median_ratio_vs_floor=${fmt(col('ratio_vs_floor'))}`,
    `median_observed_live_ack_p99_us=${fmt(col('live_ack_p99_us'))}`,
    `median_observed_live_ack_accepted_p99_us=${fmt(col('live_ack_accepted_p99_us'))}`,
    `median_observed_accepted_rate=${fmt(col('accepted_rate'))}`,
    `verdict=${d.verdict}`,
    ...d.reasons.map((r, i) => `reason_${i + 1}=${r}`),
    `raw_tsv=${base}.tsv`,
  ];
  writeText(`${base}.summary.txt`, lines);
  console.log(lines.join('\n'));
  console.log(`${d.verdict}: pure HFT absolute gate loop`);
  return exitCodeOf(d.verdict);
});

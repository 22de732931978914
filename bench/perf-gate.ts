/**
 * `npm run gate:perf[:ci|:nightly|:bless|:full]` / `make perf-gate-rust[-ci|-nightly|-bless|-full]`:
 * the perf gate with a blessed baseline (bench/lib/gates/perf.ts), on ratios.
 *
 * ROUNDS interleaved rounds (order rotating): the bare node:http server (wrk throughput on
 * /v3/orders, then one connection for RTT), the raw node:net floor (throughput), and a fresh
 * gateway (wrk throughput on /v3/orders, on /orders with its durable path, then one connection
 * on /v3/orders for RTT). DURATION s per wrk run (RTT runs RTT_DURATION s), WARMUP s before each
 * throughput run, CONNECTIONS, THREADS.
 *
 * Baseline: baseline/perf_gate_rust.json, or baseline/perf_gate_rust_<RUNNER_LABEL>.json when
 * RUNNER_LABEL is set (PERF_BASELINE overrides the path). A ratio worse than the baseline's by
 * more than BASELINE_REGRESSION (0.05; 0.03 for -ci and -nightly) turns PASS into WARN.
 * UPDATE_BASELINE=1 (bless) writes the run's ratios as the new baseline — refused for an
 * INCONCLUSIVE run unless FORCE_BLESS=1. --ci: exit 1 on FAIL (STRICT=1: also on WARN), 3 on
 * INCONCLUSIVE unless ALLOW_INCONCLUSIVE=1. --full: also samples load and top processes every
 * 2 s to var/results/perf_gate_rust_full_<stamp>.txt.
 *
 * Writes var/results/perf_gate_rust_<stamp>.{summary.txt,tsv,json,noise.txt,svg}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './lib/common.js';
import { flag, num, runMain, str, KnobError } from './lib/env.js';
import { judgePerf, PERF_BANDS, perfExitCode, perfWarnings, type Band, type PerfBaseline, type PerfMetric, type PerfRound } from './lib/gates/perf.js';
import { checkLines, fmt } from './lib/gates/verdict.js';
import { noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog } from './lib/noise.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { benchToken, orderScript, wrkOn, type WrkLoad } from './lib/rounds.js';
import { metric, roundOrder, startServer, type ServerKind } from './lib/servers.js';
import { median, round } from './lib/stats.js';
import { writeChart } from './lib/svg.js';
import { ensureWrk } from './lib/wrk.js';

runMain('gate:perf', async () => {
  const args = new Set(process.argv.slice(2));
  const ci = args.has('--ci');
  const nightly = args.has('--nightly');
  const full = args.has('--full');
  const rounds = num('ROUNDS', nightly ? 5 : 3, { min: 1, integer: true });
  const load: WrkLoad = {
    path: '/v3/orders',
    durationSec: num('DURATION', nightly ? 15 : 8, { min: 1, integer: true }),
    warmupSec: num('WARMUP', 2, { min: 0, integer: true }),
    connections: num('CONNECTIONS', 50, { min: 1, integer: true }),
    threads: num('THREADS', 1, { min: 1, integer: true }),
  };
  const rtt: WrkLoad = { ...load, warmupSec: 0, connections: 1, threads: 1, durationSec: num('RTT_DURATION', Math.max(1, Math.round(load.durationSec / 2)), { min: 1, integer: true }) };
  const tolerance = num('BASELINE_REGRESSION', ci || nightly ? 0.03 : 0.05, { min: 0 });
  const strict = flag('STRICT', false);
  const bless = flag('UPDATE_BASELINE', false);
  const label = process.env.RUNNER_LABEL || null;
  const baselinePath = str('PERF_BASELINE', join(ROOT, 'baseline', label ? `perf_gate_rust_${label}.json` : 'perf_gate_rust.json'));
  const bands = Object.fromEntries(
    (Object.keys(PERF_BANDS) as PerfMetric[]).map((m) => {
      const b = PERF_BANDS[m];
      const pass = num(b.knob, b.pass, { min: 0 });
      const warn = num(`${b.knob}_WARN`, b.warn, { min: 0 });
      if (b.better === 'higher' ? warn > pass : warn < pass) throw new KnobError(`${b.knob}_WARN (${warn}) must be further out than ${b.knob} (${pass})`);
      return [m, { better: b.better, pass, warn } satisfies Band];
    }),
  ) as Record<PerfMetric, Band>;
  for (const w of perfWarnings(process.env)) console.error(`[gate:perf] WARNING: ${w}`);
  let baseline: PerfBaseline | null = null;
  if (existsSync(baselinePath)) {
    try {
      baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as PerfBaseline;
      if (typeof baseline.metrics !== 'object' || baseline.metrics === null) throw new Error('no "metrics" object');
    } catch (e) {
      throw new KnobError(`baseline ${baselinePath} is not a perf gate baseline: ${e instanceof Error ? e.message : e}`);
    }
  }
  ensureWrk();
  const base = resultBase('perf_gate_rust');
  const fullLog = full ? `${resultBase('perf_gate_rust_full')}.txt` : null;
  const sampler = fullLog === null ? null : setInterval(() => appendFileSync(fullLog, noiseSnapshot('sample') + '\n'), 2000);
  const v3Script = orderScript('perf_v3', await benchToken('12345'), '/v3/orders');
  const durableScript = orderScript('perf_durable', await benchToken('12346'), '/orders');
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const results: PerfRound[] = [];
  const table: Array<Record<string, unknown>> = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const row: Partial<PerfRound> = {};
      for (const kind of roundOrder<ServerKind>(['bare', 'floor', 'gateway'], r)) {
        const s = await startServer(kind);
        try {
          if (kind === 'floor') {
            row.floorRps = (await wrkOn(s, kind, load, v3Script)).wrk.rps;
          } else if (kind === 'bare') {
            row.bareRps = (await wrkOn(s, kind, load, v3Script)).wrk.rps;
            const t = await wrkOn(s, kind, rtt, v3Script);
            row.bareRttP50Us = t.wrk.p50Us;
            row.bareRttP99Us = t.wrk.p99Us;
          } else {
            row.v3Rps = (await wrkOn(s, kind, load, v3Script)).wrk.rps;
            const d = await wrkOn(s, kind, { ...load, path: '/orders' }, durableScript);
            row.durableRps = d.wrk.rps;
            row.durableAckP99Us = metric(d.metrics, 'gateway_durable_ack_p99_us');
            row.fdatasyncP99Us = metric(d.metrics, 'gateway_fdatasync_p99_us');
            const t = await wrkOn(s, kind, rtt, v3Script);
            row.v3RttP50Us = t.wrk.p50Us;
            row.v3RttP99Us = t.wrk.p99Us;
          }
        } finally {
          await s.stop();
        }
      }
      const full = row as PerfRound;
      results.push(full);
      table.push({ round: r + 1, ...full });
      console.error(`[gate:perf] round ${r + 1}/${rounds}: bare ${full.bareRps.toFixed(0)}, floor ${full.floorRps.toFixed(0)}, /v3 ${full.v3Rps.toFixed(0)}, /orders ${full.durableRps.toFixed(0)} req/s; RTT p50 bare ${full.bareRttP50Us} / v3 ${full.v3RttP50Us} us`);
      probe.take(r + 1 < rounds ? `after-round-${r + 1}` : 'after');
    }
  } finally {
    if (sampler !== null) clearInterval(sampler);
  }
  noise += '\n' + noiseSnapshot('after');
  const d = judgePerf(results, probe.all, bands, noiseLimitsFromEnv(), baseline, tolerance);
  const summary = [
    'perf_gate_rust',
    `date=${base.slice(-15)}`,
    `mode=${ci ? 'ci' : nightly ? 'nightly' : 'local'}${full ? '+full' : ''}`,
    `rounds=${rounds}`,
    `duration_sec=${load.durationSec}`,
    `connections=${load.connections}`,
    `baseline=${baseline === null ? 'none' : baselinePath}`,
    `baseline_regression=${tolerance}`,
    ...(Object.keys(d.regressions) as PerfMetric[]).map((m) => `regression_${m}=${fmt(round(d.regressions[m]!, 4))}`),
    ...checkLines(d),
    ...noiseLines(d.noise, probe),
    ...(fullLog === null ? [] : [`full_samples=${fullLog}`]),
  ];
  writeText(`${base}.summary.txt`, summary);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(table[0]!), table));
  writeFileSync(`${base}.json`, JSON.stringify({ verdict: d.verdict, metrics: d.metrics, regressions: d.regressions, reasons: d.reasons, rounds: results, noise: d.noise }, null, 2));
  writeFileSync(`${base}.noise.txt`, noise + '\n' + noiseLines(d.noise, probe).join('\n') + '\n');
  const col = (k: keyof PerfRound) => table.map((t) => Number(t[k]));
  writeChart(
    `${base}.svg`,
    [
      { title: 'one-connection round trip (wrk -c1, median of rounds)', unit: 'µs', log: true, groups: ['p50', 'p99'], series: [
        { name: 'bare node:http', values: [median(col('bareRttP50Us')), median(col('bareRttP99Us'))] },
        { name: 'gateway /v3', values: [median(col('v3RttP50Us')), median(col('v3RttP99Us'))] },
      ] },
      { title: 'throughput per round', unit: 'req/s', groups: table.map((t) => `round ${t.round}`), series: [
        { name: 'bare', values: col('bareRps') }, { name: 'floor', values: col('floorRps') }, { name: 'gateway /v3', values: col('v3Rps') }, { name: 'gateway /orders', values: col('durableRps') },
      ] },
    ],
    `perf_gate_rust ${base.slice(-15)}: ${d.verdict}; probe spread ${fmt(round(d.noise.probeSpread))}`,
  );
  console.log(summary.join('\n'));
  console.log(`${d.verdict}: perf gate${d.reasons.length ? ` — ${d.reasons.join('; ')}` : ''}`);
  if (bless) {
    if (d.verdict === 'INCONCLUSIVE' && !flag('FORCE_BLESS', false)) {
      console.error('[gate:perf] not blessing an INCONCLUSIVE (noisy) run as the baseline; FORCE_BLESS=1 to do it anyway');
      return 3;
    }
    const b: PerfBaseline = { updated_at: new Date().toISOString(), runner_label: label, metrics: Object.fromEntries(Object.entries(d.metrics).map(([k, v]) => [k, round(v, 4)])) };
    mkdirSync(dirname(baselinePath), { recursive: true });
    writeFileSync(baselinePath, JSON.stringify(b, null, 2) + '\n');
    console.log(`baseline written: ${baselinePath}`);
  }
  return perfExitCode(d.verdict, { ci, strict, allowInconclusive: flag('ALLOW_INCONCLUSIVE', false) });
});

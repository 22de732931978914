/**
 * `npm run bench:v3:compare` / `make pure-hft-phase2-compare` (and `…-when-quiet`): "baseline vs
 * injected" — how a heavier risk stage moves the /v3 acknowledgement tail (the original's
 * run_pure_hft_phase2_compare.sh).
 *
 * Cases: baseline = V3_RISK_PROFILE=light, V3_RISK_LOOPS=16, margin legacy;
 *        injected = V3_RISK_PROFILE=medium, V3_RISK_LOOPS=${V3_RISK_LOOPS:-8192}, margin legacy.
 * Each run: a fresh gateway per case, wrk on /v3/orders (DURATION s, CONNECTIONS, THREADS;
 * WRK_ACCOUNT_COUNT > 1 splits connections and threads across accounts benchacct_i, one wrk each,
 * req/s summed), /metrics scraped. The bare node:http ceiling runs in every run too, the order of
 * the three rotating. WARMUP_RUNS runs come first and are excluded; the summary holds medians of
 * the measured runs. The CPU-speed probe runs before, between and after runs.
 * WHEN_QUIET=1 first waits for a quiet machine (bench/lib/quiet.ts; exit 3 on timeout unless
 * RUN_ON_TIMEOUT=1).
 *
 * Writes var/results/pure_hft_phase2_compare_<stamp>.{tsv,summary.txt,noise.txt,svg}. Report only.
 * Env: RUNS (5), WARMUP_RUNS (1), DURATION (8), CONNECTIONS (50), THREADS (1), WRK_ACCOUNT_COUNT (1).
 */
import { writeFileSync } from 'node:fs';
import { flag, KnobError, num, runMain } from './lib/env.js';
import { fmt } from './lib/gates/verdict.js';
import { assessNoise, noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog } from './lib/noise.js';
import { waitForQuiet } from './lib/quiet.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { benchToken, orderScript, resetGatewayMetrics } from './lib/rounds.js';
import { metric, roundOrder, scrapeText, startServer } from './lib/servers.js';
import { median, round } from './lib/stats.js';
import { writeChart } from './lib/svg.js';
import { ensureWrk, runWrk } from './lib/wrk.js';

const COLUMNS = [
  'case', 'run', 'warmup', 'rps', 'bare_rps', 'ratio_vs_bare', 'client_p99_us', 'live_ack_p99_us', 'accepted_p99_us', 'risk_p99_us', 'risk_position_p99_us',
  'risk_margin_p99_us', 'risk_limits_p99_us', 'parse_p99_us', 'enqueue_p99_us', 'serialize_p99_us', 'profile_level', 'loops', 'margin_mode',
  'accepted', 'soft', 'killed', 'accept_ratio', 'accepted_rps',
] as const;
type Row = Record<(typeof COLUMNS)[number], string | number>;

runMain('bench:v3:compare', async () => {
  const runs = num('RUNS', 5, { min: 1, integer: true });
  const warmupRuns = num('WARMUP_RUNS', 1, { min: 0, integer: true });
  const duration = num('DURATION', 8, { min: 1, integer: true });
  const connections = num('CONNECTIONS', 50, { min: 1, integer: true });
  const threads = num('THREADS', 1, { min: 1, integer: true });
  const accounts = num('WRK_ACCOUNT_COUNT', 1, { min: 1, integer: true });
  const injectedLoops = num('V3_RISK_LOOPS', 8192, { min: 0, integer: true });
  if (accounts > connections || accounts > 1 && threads < accounts && threads !== 1) throw new KnobError('WRK_ACCOUNT_COUNT must not exceed CONNECTIONS (and THREADS when THREADS > 1)');
  if ((flag('WHEN_QUIET', false) || process.argv.includes('--when-quiet')) && !(await waitForQuiet())) return 3;
  const cases: Record<string, Record<string, string>> = {
    baseline: { V3_RISK_PROFILE: 'light', V3_RISK_LOOPS: '16', V3_RISK_MARGIN_MODE: 'legacy' },
    injected: { V3_RISK_PROFILE: 'medium', V3_RISK_LOOPS: String(injectedLoops), V3_RISK_MARGIN_MODE: 'legacy' },
  };
  ensureWrk();
  const scripts = await Promise.all(Array.from({ length: accounts }, async (_, i) => orderScript(`compare_${i + 1}`, await benchToken(`benchacct_${i + 1}`), '/v3/orders')));
  const split = (total: number, i: number) => Math.floor(total / accounts) + (i < total % accounts ? 1 : 0);
  /** wrk on every account's script at once; req/s summed, p99 the worst. */
  const load = async (port: number) => {
    const rs = await Promise.all(scripts.map((script, i) => runWrk({ url: `http://127.0.0.1:${port}/v3/orders`, script, threads: Math.max(1, split(threads, i)), connections: split(connections, i), durationSec: duration })));
    return { rps: rs.reduce((n, r) => n + r.rps, 0), p99Us: Math.max(...rs.map((r) => r.p99Us)) };
  };
  const base = resultBase('pure_hft_phase2_compare');
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const rows: Row[] = [];
  const bares: Array<{ run: number; warmup: boolean; rps: number }> = [];
  for (let i = 0; i < warmupRuns + runs; i++) {
    const warm = i < warmupRuns;
    let bareRps = NaN;
    const pending: Array<() => Row> = [];
    for (const name of roundOrder(['bare', 'baseline', 'injected'], i)) {
      const s = await startServer(name === 'bare' ? 'bare' : 'gateway', cases[name] ?? {});
      try {
        if (name !== 'bare') await resetGatewayMetrics(s);
        const w = await load(s.port);
        if (name === 'bare') {
          bareRps = w.rps;
          bares.push({ run: i + 1, warmup: warm, rps: w.rps });
          continue;
        }
        const { m } = await scrapeText(s.port);
        const g = (k: string) => metric(m, k);
        const acc = g('gateway_v3_accepted_total');
        const soft = g('gateway_v3_rejected_soft_total');
        const killed = g('gateway_v3_rejected_killed_total');
        const ratio = acc + soft + killed > 0 ? acc / (acc + soft + killed) : 0;
        const live = Number.isFinite(g('gateway_live_ack_p99_us')) ? g('gateway_live_ack_p99_us') : g('gateway_ack_p99_us');
        pending.push(() => ({
          case: name, run: i + 1, warmup: warm ? 1 : 0, rps: Math.round(w.rps), bare_rps: Math.round(bareRps), ratio_vs_bare: round(w.rps / bareRps), client_p99_us: w.p99Us,
          live_ack_p99_us: live, accepted_p99_us: g('gateway_live_ack_accepted_p99_us'),
          risk_p99_us: g('gateway_v3_stage_risk_p99_us'), risk_position_p99_us: g('gateway_v3_stage_risk_position_p99_us'),
          risk_margin_p99_us: g('gateway_v3_stage_risk_margin_p99_us'), risk_limits_p99_us: g('gateway_v3_stage_risk_limits_p99_us'),
          parse_p99_us: g('gateway_v3_stage_parse_p99_us'), enqueue_p99_us: g('gateway_v3_stage_enqueue_p99_us'),
          serialize_p99_us: g('gateway_v3_stage_serialize_p99_us'), profile_level: g('gateway_v3_risk_profile_level'),
          loops: g('gateway_v3_risk_profile_loops'), margin_mode: g('gateway_v3_risk_margin_mode'),
          accepted: acc, soft, killed, accept_ratio: round(ratio, 4), accepted_rps: Math.round(w.rps * ratio),
        }));
      } finally {
        await s.stop();
      }
    }
    for (const p of pending) {
      const row = p();
      rows.push(row);
      console.error(`[compare] ${row.case} run ${i + 1}${warm ? ' (warm-up)' : ''}: ${row.rps} req/s (${row.ratio_vs_bare} of bare), accepted p99 ${row.accepted_p99_us} us, risk p99 ${row.risk_p99_us} us`);
    }
    probe.take(`after-run-${i + 1}`);
  }
  noise += '\n' + noiseSnapshot('after');
  const measured = (name: string) => rows.filter((r) => r.case === name && r.warmup === 0);
  const med = (name: string, col: (typeof COLUMNS)[number]) => median(measured(name).map((r) => Number(r[col])));
  const na = assessNoise({ probeMs: probe.all, ceilings: bares.filter((b) => !b.warmup).map((b) => b.rps) }, noiseLimitsFromEnv());
  const cols: Array<(typeof COLUMNS)[number]> = ['rps', 'ratio_vs_bare', 'accepted_rps', 'accept_ratio', 'client_p99_us', 'live_ack_p99_us', 'accepted_p99_us', 'risk_p99_us', 'risk_position_p99_us', 'risk_limits_p99_us', 'parse_p99_us', 'enqueue_p99_us', 'serialize_p99_us', 'loops'];
  const lines = [
    `pure_hft_phase2_compare ${base.slice(-15)}: RUNS=${runs} WARMUP_RUNS=${warmupRuns} duration=${duration}s connections=${connections} threads=${threads} accounts=${accounts} (medians of measured runs)`,
    `bare node:http ceiling, same runs: ${fmt(median(bares.filter((b) => !b.warmup).map((b) => b.rps)))} req/s (median; per run ${bares.map((b) => Math.round(b.rps)).join(', ')})`,
    '',
    `${'metric'.padEnd(22)}${'baseline'.padStart(12)}${'injected'.padStart(12)}${'delta'.padStart(12)}`,
    ...cols.map((c) => {
      const b = med('baseline', c);
      const j = med('injected', c);
      return `${c.padEnd(22)}${fmt(b).padStart(12)}${fmt(j).padStart(12)}${fmt(round(j - b, 4)).padStart(12)}`;
    }),
    '',
    ...noiseLines(na, probe),
    ...(na.tooNoisy.length > 0 ? ['NOTE: the machine was noisy during this comparison; compare ratios, not absolute figures'] : []),
  ];
  writeFileSync(`${base}.tsv`, tsv(COLUMNS, rows));
  writeText(`${base}.summary.txt`, lines);
  writeFileSync(`${base}.noise.txt`, noise + '\n' + noiseLines(na, probe).join('\n') + '\n');
  const measuredRuns = [...new Set(rows.filter((r) => r.warmup === 0).map((r) => Number(r.run)))];
  writeChart(
    `${base}.svg`,
    [
      { title: 'server-side p99 by stage (median of measured runs)', unit: 'µs', log: true, groups: ['live ack', 'accepted ack', 'risk', 'parse', 'enqueue', 'serialize'], series: ['baseline', 'injected'].map((n) => ({ name: `${n} (${cases[n]!.V3_RISK_PROFILE}, loops ${cases[n]!.V3_RISK_LOOPS})`, values: (['live_ack_p99_us', 'accepted_p99_us', 'risk_p99_us', 'parse_p99_us', 'enqueue_p99_us', 'serialize_p99_us'] as const).map((c) => med(n, c)) })) },
      { title: 'throughput per measured run', unit: 'req/s', groups: measuredRuns.map((r) => `run ${r}`), series: [
        { name: 'bare node:http', values: measuredRuns.map((r) => bares.find((b) => b.run === r)?.rps ?? NaN) },
        ...['baseline', 'injected'].map((n) => ({ name: n, values: measuredRuns.map((r) => Number(rows.find((x) => x.case === n && x.run === r)?.rps ?? NaN)) })),
      ] },
    ],
    `pure_hft_phase2_compare ${base.slice(-15)}; probe spread ${fmt(round(na.probeSpread))}, bare spread ${fmt(round(na.ceilingSpread))}`,
  );
  console.log(lines.join('\n'));
  console.log(`\nresults: ${base}.{tsv,summary.txt,noise.txt,svg}`);
});

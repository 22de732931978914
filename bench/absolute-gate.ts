/**
 * `npm run gate:absolute` / `make pure-hft-absolute-gate`: the original's pure absolute gate
 * (check_pure_hft_absolute_gate.sh), judged on ratios (bench/lib/gates/absolute.ts).
 *
 * ROUNDS interleaved rounds (the order rotates each round): a fresh bare node:http server
 * (bench/bare-server.ts), the raw node:net floor (bench/floor-server.ts) and a fresh gateway, each
 * warmed up WARMUP s, then wrk on /v3/orders for DURATION s (CONNECTIONS, THREADS; the repository's
 * order script, one account). The CPU-speed probe runs before, between and after the rounds.
 *
 * Writes var/results/pure_hft_gate_<stamp>.{summary.txt,tsv,wrk.txt,metrics.prom,noise.txt,svg}.
 * Exit code: 0 PASS, 1 FAIL, 3 INCONCLUSIVE (too noisy), 2 bad knob / not Linux.
 *
 * Knobs: ROUNDS (3), DURATION (20), WARMUP (3), CONNECTIONS (50), THREADS (1),
 * TARGET_RATIO_BARE (0.8), TARGET_RATIO_FLOOR (0.7), TARGET_ACK_P99_US (15),
 * TARGET_ACCEPTED_RATE (0.95), NOISE_MAX_PROBE_SPREAD, NOISE_MAX_CEILING_SPREAD, GATE_MIN_ROUNDS.
 * Gateway variables in the environment pass through (e.g. V3_SHARD_COUNT=4).
 */
import { writeFileSync } from 'node:fs';
import { judgeAbsolute, type AbsoluteDecision, type AbsoluteRound } from './lib/gates/absolute.js';
import { checkLines, fmt } from './lib/gates/verdict.js';
import { isMain, num, runMain } from './lib/env.js';
import { noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog } from './lib/noise.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { benchToken, orderScript, wrkRound, type WrkLoad, type WrkRound } from './lib/rounds.js';
import { metric, roundOrder, type ServerKind } from './lib/servers.js';
import { median, round } from './lib/stats.js';
import { writeChart } from './lib/svg.js';
import { ensureWrk } from './lib/wrk.js';

export interface AbsoluteRun {
  decision: AbsoluteDecision;
  base: string;
  rounds: AbsoluteRound[];
}

const EXIT: Record<string, number> = { PASS: 0, WARN: 0, FAIL: 1, INCONCLUSIVE: 3 };
export const exitCodeOf = (v: string): number => EXIT[v] ?? 1;

export async function runAbsoluteGate(env: NodeJS.ProcessEnv = process.env): Promise<AbsoluteRun> {
  if (process.platform !== 'linux') throw Object.assign(new Error(`the absolute gate requires Linux (current: ${process.platform})`), { exitCode: 2 });
  const rounds = num('ROUNDS', 3, { min: 1, integer: true }, env);
  const load: WrkLoad = {
    path: '/v3/orders',
    durationSec: num('DURATION', 20, { min: 1, integer: true }, env),
    warmupSec: num('WARMUP', 3, { min: 0, integer: true }, env),
    connections: num('CONNECTIONS', 50, { min: 1, integer: true }, env),
    threads: num('THREADS', 1, { min: 1, integer: true }, env),
  };
  const targets = {
    ratioBare: num('TARGET_RATIO_BARE', 0.8, { min: 0 }, env),
    ratioFloor: num('TARGET_RATIO_FLOOR', 0.7, { min: 0 }, env),
    ackP99Us: num('TARGET_ACK_P99_US', 15, { min: 0 }, env),
    acceptedRate: num('TARGET_ACCEPTED_RATE', 0.95, { min: 0, max: 1 }, env),
  };
  const limits = noiseLimitsFromEnv(env);
  ensureWrk();
  const base = resultBase('pure_hft_gate');
  const script = orderScript('gate', await benchToken('12345'), load.path);
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const results: AbsoluteRound[] = [];
  const raw: string[] = [];
  let lastMetrics = '';
  const table: Array<Record<string, unknown>> = [];
  for (let r = 0; r < rounds; r++) {
    const got = new Map<ServerKind, WrkRound>();
    for (const kind of roundOrder<ServerKind>(['bare', 'floor', 'gateway'], r)) {
      const m = await wrkRound(kind, load, script);
      got.set(kind, m);
      raw.push(`=== round ${r + 1} ${kind} ===\n${m.wrk.raw}`);
      console.error(`[gate:absolute] round ${r + 1}/${rounds} ${kind}: ${m.wrk.rps.toFixed(0)} req/s, client p99 ${m.wrk.p99Us.toFixed(0)} us`);
    }
    const gw = got.get('gateway')!;
    lastMetrics = gw.metricsText;
    const row: AbsoluteRound = {
      bareRps: got.get('bare')!.wrk.rps,
      floorRps: got.get('floor')!.wrk.rps,
      gatewayRps: gw.wrk.rps,
      liveAckAcceptedP99Us: metric(gw.metrics, 'gateway_live_ack_accepted_p99_us'),
      liveAckP99Us: metric(gw.metrics, 'gateway_live_ack_p99_us'),
      acceptedRate: metric(gw.metrics, 'gateway_v3_accepted_rate'),
    };
    results.push(row);
    table.push({
      round: r + 1, bare_rps: row.bareRps, floor_rps: row.floorRps, gateway_rps: row.gatewayRps,
      ratio_vs_bare: row.gatewayRps / row.bareRps, ratio_vs_floor: row.gatewayRps / row.floorRps,
      bare_p50_us: got.get('bare')!.wrk.p50Us, floor_p50_us: got.get('floor')!.wrk.p50Us, gateway_p50_us: gw.wrk.p50Us,
      bare_p99_us: got.get('bare')!.wrk.p99Us, floor_p99_us: got.get('floor')!.wrk.p99Us, gateway_p99_us: gw.wrk.p99Us,
      live_ack_p99_us: row.liveAckP99Us, live_ack_accepted_p99_us: row.liveAckAcceptedP99Us, accepted_rate: row.acceptedRate,
      accepted_total: metric(gw.metrics, 'gateway_v3_accepted_total'), rejected_soft_total: metric(gw.metrics, 'gateway_v3_rejected_soft_total'),
      rejected_hard_total: metric(gw.metrics, 'gateway_v3_rejected_hard_total'), rejected_killed_total: metric(gw.metrics, 'gateway_v3_rejected_killed_total'),
      non2xx: gw.wrk.non2xx, socket_errors: gw.wrk.socketErrors,
    });
    probe.take(r + 1 < rounds ? `after-round-${r + 1}` : 'after');
  }
  noise += '\n' + noiseSnapshot('after');
  const decision = judgeAbsolute(results, probe.all, targets, limits);
  const med = (k: string) => median(table.map((t) => Number(t[k])));
  const summary = [
    'pure_hft_absolute_gate',
    `date=${base.slice(-15)}`,
    `rounds=${rounds}`,
    `duration_sec=${load.durationSec}`,
    `connections=${load.connections}`,
    `threads=${load.threads}`,
    `observed_rps=${round(med('gateway_rps'), 1)}`,
    `observed_bare_rps=${round(med('bare_rps'), 1)}`,
    `observed_floor_rps=${round(med('floor_rps'), 1)}`,
    `observed_live_ack_p99_us=${fmt(med('live_ack_p99_us'))}`,
    `observed_live_ack_accepted_p99_us=${fmt(med('live_ack_accepted_p99_us'))}`,
    `observed_accepted_rate=${fmt(med('accepted_rate'))}`,
    `ratio_vs_bare_per_round=${decision.ratioVsBare.map((x) => round(x)).join(',')}`,
    `ratio_vs_floor_per_round=${decision.ratioVsFloor.map((x) => round(x)).join(',')}`,
    ...['accepted_total', 'rejected_soft_total', 'rejected_hard_total', 'rejected_killed_total'].map((k) => `${k}=${fmt(table.reduce((n, t) => n + Number(t[k]), 0))}`),
    ...checkLines(decision),
    ...noiseLines(decision.noise, probe),
    `wrk_out=${base}.wrk.txt`,
    `metrics_out=${base}.metrics.prom`,
    `noise_snapshot=${base}.noise.txt`,
    `chart=${base}.svg`,
  ];
  writeText(`${base}.summary.txt`, summary);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(table[0]!), table));
  writeFileSync(`${base}.wrk.txt`, raw.join('\n'));
  writeFileSync(`${base}.metrics.prom`, lastMetrics);
  writeFileSync(`${base}.noise.txt`, noise + '\n' + noiseLines(decision.noise, probe).join('\n') + '\n');
  writeChart(
    `${base}.svg`,
    [
      { title: 'client latency (wrk, median of rounds)', unit: 'µs', log: true, groups: ['p50', 'p99'], series: ['bare', 'floor', 'gateway'].map((k) => ({ name: k === 'bare' ? 'bare node:http' : k === 'floor' ? 'raw node:net floor' : 'gateway /v3', values: [med(`${k}_p50_us`), med(`${k}_p99_us`)] })) },
      { title: 'throughput per round', unit: 'req/s', groups: table.map((t) => `round ${t.round}`), series: ['bare', 'floor', 'gateway'].map((k) => ({ name: k, values: table.map((t) => Number(t[`${k}_rps`])) })) },
    ],
    `pure_hft_absolute_gate ${base.slice(-15)}: ${decision.verdict}; ratio vs bare ${fmt(decision.checks[0]!.value)}, vs floor ${fmt(decision.checks[1]!.value)}; probe spread ${fmt(round(decision.noise.probeSpread))}`,
  );
  console.log(summary.join('\n'));
  console.log(`${decision.verdict}: pure HFT absolute gate${decision.reasons.length ? ` — ${decision.reasons.join('; ')}` : ''}`);
  return { decision, base, rounds: results };
}

if (isMain(import.meta.url)) {
  runMain('gate:absolute', async () => exitCodeOf((await runAbsoluteGate()).decision.verdict));
}

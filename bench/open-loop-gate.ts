/**
 * `npm run gate:open-loop` / `make pure-hft-open-loop-probe` (report; ENFORCE_GATE=1 sets the
 * exit code) and `make pure-hft-local-strict-gate` (ENFORCE_GATE=1): the open-loop gate of
 * PRODUCT.md — /v3/orders at TARGET_RPS (10 000/s) for DURATION (60 s), client p99 ≤ 1.5 × and
 * p50 ≤ 1.2 × a bare node:http server's at the same rate, 100 % accepted, no kill — in ROUNDS (3)
 * interleaved rounds (bench/lib/gates/open-loop.ts).
 *
 * Load: the open-loop generator (bench/lib/openloop/): pre-encoded requests on LOAD_WORKERS (16)
 * raw keep-alive sockets from a dedicated sender thread, LOAD_ACCOUNTS (16) accounts
 * ACCOUNT_PREFIX_1..N, WARMUP (5 s) unrecorded, DRAIN_TIMEOUT_SEC (5). Latency is from each
 * request's intended send time; the generator's own send lag is printed next to every result.
 *
 * Writes var/results/pure_hft_open_loop_<stamp>.{summary.txt,load.txt,tsv,metrics.prom,noise.txt,svg}.
 * Exit code (ENFORCE_GATE=1): 0 PASS, 1 FAIL, 3 INCONCLUSIVE; without it always 0.
 */
import { writeFileSync } from 'node:fs';
import { judgeOpenLoop, type OpenLoopRound } from './lib/gates/open-loop.js';
import { checkLines, fmt } from './lib/gates/verdict.js';
import { flag, num, runMain } from './lib/env.js';
import { noiseLimitsFromEnv, noiseLines, noiseSnapshot, ProbeLog } from './lib/noise.js';
import { describeRun, generatorRun, metric, openLoopLoadFromEnv, openLoopRound, type OpenLoopMeasurement } from './lib/openloop-round.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { roundOrder, type ServerKind } from './lib/servers.js';
import { median, round } from './lib/stats.js';
import { writeChart } from './lib/svg.js';

runMain('gate:open-loop', async () => {
  const load = openLoopLoadFromEnv({ rate: 10_000, durationSec: 60 });
  const rounds = num('ROUNDS', 3, { min: 1, integer: true });
  const enforce = flag('ENFORCE_GATE', false) || process.argv.includes('--enforce');
  const targets = {
    p99Ratio: num('TARGET_P99_RATIO', 1.5, { min: 0 }),
    p50Ratio: num('TARGET_P50_RATIO', 1.2, { min: 0 }),
    acceptedRate: num('TARGET_ACCEPTED_RATE', 1.0, { min: 0, max: 1 }),
    killedMax: num('TARGET_REJECTED_KILLED_MAX', 0, { min: 0 }),
    lossSuspectMax: num('TARGET_LOSS_SUSPECT_MAX', 0, { min: 0 }),
    offeredRatioMin: num('TARGET_OFFERED_RPS_RATIO_MIN', 0.99, { min: 0 }),
    lagMaxFraction: num('GENERATOR_LAG_MAX_FRACTION', 0.1, { min: 0 }),
  };
  const limits = noiseLimitsFromEnv();
  const base = resultBase('pure_hft_open_loop');
  const probe = new ProbeLog();
  let noise = noiseSnapshot('before');
  probe.take('before');
  const results: OpenLoopRound[] = [];
  const table: Array<Record<string, unknown>> = [];
  const loadLines: string[] = [];
  let lastMetrics = '';
  for (let r = 0; r < rounds; r++) {
    const got = new Map<ServerKind, OpenLoopMeasurement>();
    for (const kind of roundOrder<ServerKind>(['bare', 'gateway'], r)) {
      const m = await openLoopRound(kind, load);
      got.set(kind, m);
      console.error(`[gate:open-loop] round ${r + 1}/${rounds} ${describeRun(kind, m.gen)}`);
      const g = m.gen;
      loadLines.push(
        `round=${r + 1} target=${kind} offered_total=${g.sent} offered_rps=${g.offeredRps} completed_rps=${g.completedRps} accepted_total=${g.accepted} ` +
          `rejected_total=${g.completed - g.accepted - g.errors} error_total=${g.errors} timeout_total=${g.timedOut} client_ack_p50_us=${g.latencyUs.p50} ` +
          `client_ack_p99_us=${g.latencyUs.p99} client_ack_p999_us=${g.latencyUs.p999} client_ack_accepted_p99_us=${g.acceptedLatencyUs.p99} ` +
          `generator_send_lag_p50_us=${g.sendLagUs.p50} generator_send_lag_p99_us=${g.sendLagUs.p99} connection_wait_p99_us=${g.queueWaitUs.p99} ` +
          Object.entries(g.byStatus).map(([k, v]) => `status_${k}_total=${v}`).join(' '),
      );
    }
    const gw = got.get('gateway')!;
    const bare = got.get('bare')!;
    lastMetrics = gw.metricsText;
    const row: OpenLoopRound = {
      bare: generatorRun(bare.gen),
      gateway: generatorRun(gw.gen),
      killed: metric(gw.metrics, 'gateway_v3_rejected_killed_total'),
      lossSuspect: metric(gw.metrics, 'gateway_v3_loss_suspect_total'),
    };
    results.push(row);
    table.push({
      round: r + 1, bare_p50_us: row.bare.p50Us, bare_p99_us: row.bare.p99Us, gateway_p50_us: row.gateway.p50Us, gateway_p99_us: row.gateway.p99Us,
      bare_p999_us: bare.gen.latencyUs.p999, gateway_p999_us: gw.gen.latencyUs.p999,
      p99_ratio: row.gateway.p99Us / row.bare.p99Us, p50_ratio: row.gateway.p50Us / row.bare.p50Us,
      bare_lag_p99_us: row.bare.sendLagP99Us, gateway_lag_p99_us: row.gateway.sendLagP99Us,
      bare_offered_rps: row.bare.offeredRps, gateway_offered_rps: row.gateway.offeredRps, gateway_completed_rps: gw.gen.completedRps, bare_completed_rps: bare.gen.completedRps,
      gateway_accepted: row.gateway.accepted, gateway_scheduled: row.gateway.scheduled,
      server_live_ack_p99_us: metric(gw.metrics, 'gateway_live_ack_p99_us'), server_live_ack_accepted_p99_us: metric(gw.metrics, 'gateway_live_ack_accepted_p99_us'),
      server_accepted_rate: metric(gw.metrics, 'gateway_v3_accepted_rate'), server_rejected_killed_total: row.killed, server_loss_suspect_total: row.lossSuspect,
    });
    probe.take(r + 1 < rounds ? `after-round-${r + 1}` : 'after');
  }
  noise += '\n' + noiseSnapshot('after');
  const d = judgeOpenLoop(results, probe.all, targets, limits);
  const med = (k: string) => median(table.map((t) => Number(t[k])));
  const summary = [
    'pure_hft_open_loop_probe',
    `date=${base.slice(-15)}`,
    `rounds=${rounds}`,
    `duration_sec=${load.durationSec}`,
    `target_rps=${load.rate}`,
    `load_workers=${load.connections}`,
    `load_accounts=${load.accounts}`,
    `generator=raw sockets, ${load.mode} clock, dedicated sender thread`,
    `offered_rps=${fmt(med('gateway_offered_rps'))}`,
    `completed_rps=${fmt(med('gateway_completed_rps'))}`,
    `client_ack_p50_us=${fmt(med('gateway_p50_us'))}`,
    `client_ack_p99_us=${fmt(med('gateway_p99_us'))}`,
    `bare_client_ack_p50_us=${fmt(med('bare_p50_us'))}`,
    `bare_client_ack_p99_us=${fmt(med('bare_p99_us'))}`,
    `generator_send_lag_p99_us=${fmt(med('gateway_lag_p99_us'))}`,
    `bare_generator_send_lag_p99_us=${fmt(med('bare_lag_p99_us'))}`,
    `p99_ratio_per_round=${d.p99Ratios.map((x) => round(x)).join(',')}`,
    `p50_ratio_per_round=${d.p50Ratios.map((x) => round(x)).join(',')}`,
    `server_live_ack_p99_us=${fmt(med('server_live_ack_p99_us'))}`,
    `server_live_ack_accepted_p99_us=${fmt(med('server_live_ack_accepted_p99_us'))}`,
    `server_accepted_rate=${fmt(med('server_accepted_rate'))}`,
    `server_rejected_killed_total=${fmt(table.reduce((n, t) => n + Number(t.server_rejected_killed_total), 0))}`,
    `server_loss_suspect_total=${fmt(table.reduce((n, t) => n + Number(t.server_loss_suspect_total), 0))}`,
    ...checkLines(d),
    ...noiseLines(d.noise, probe),
    `enforce_gate=${enforce ? 1 : 0}`,
    `load_out=${base}.load.txt`,
    `metrics_out=${base}.metrics.prom`,
    `chart=${base}.svg`,
  ];
  writeText(`${base}.summary.txt`, summary);
  writeText(`${base}.load.txt`, loadLines);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(table[0]!), table));
  writeFileSync(`${base}.metrics.prom`, lastMetrics);
  writeFileSync(`${base}.noise.txt`, noise + '\n' + noiseLines(d.noise, probe).join('\n') + '\n');
  writeChart(
    `${base}.svg`,
    [
      { title: `open loop at ${load.rate}/s: client latency from intended send time (median of rounds)`, unit: 'µs', log: true, groups: ['p50', 'p99', 'p99.9', 'generator lag p99'], series: [
        { name: 'bare node:http', values: [med('bare_p50_us'), med('bare_p99_us'), med('bare_p999_us'), med('bare_lag_p99_us')] },
        { name: 'gateway /v3', values: [med('gateway_p50_us'), med('gateway_p99_us'), med('gateway_p999_us'), med('gateway_lag_p99_us')] },
      ] },
      { title: 'offered and completed per round', unit: 'req/s', groups: table.map((t) => `round ${t.round}`), series: [
        { name: 'offered (gateway run)', values: table.map((t) => Number(t.gateway_offered_rps)) },
        { name: 'bare node:http', values: table.map((t) => Number(t.bare_completed_rps)) },
        { name: 'gateway /v3', values: table.map((t) => Number(t.gateway_completed_rps)) },
      ] },
    ],
    `pure_hft_open_loop ${base.slice(-15)}: ${d.verdict}; p99 ratio ${fmt(d.checks[0]!.value)}, p50 ratio ${fmt(d.checks[1]!.value)}; probe spread ${fmt(round(d.noise.probeSpread))}`,
  );
  console.log(summary.join('\n'));
  console.log(`${d.verdict}: open-loop gate${d.reasons.length ? ` — ${d.reasons.join('; ')}` : ''}`);
  if (!enforce) return 0;
  return d.verdict === 'PASS' ? 0 : d.verdict === 'INCONCLUSIVE' ? 3 : 1;
});

/**
 * `npm run bench:openloop:check` / `make openloop-generator-check`: which open-loop generator
 * is precise enough on this machine. Drives the same bare node:http server (and, with
 * CHECK_SERVER=floor, the raw node:net floor) at TARGET_RPS (10 000/s) for DURATION (20 s) with:
 *
 *   loadgen-agent     src/loadgen (node:http client agent, main thread; the previous generator)
 *   raw-inline-spin   raw sockets, pre-encoded requests, setImmediate polling, same thread as the driver
 *   raw-worker-spin   the same on a dedicated sender thread
 *   raw-worker-timer  dedicated sender thread woken by a clock thread (Atomics.wait), no polling
 *
 * in ROUNDS (3) rounds, order rotating, and reports per generator the median client p50/p99,
 * its own send lag p99 and its lag as a fraction of the p99 it measured: the generator whose lag
 * is the smallest share of the tail, and whose server tail is lowest (it steals least CPU from the
 * server on a 2-core machine), is the one to use. Native alternatives from Debian were checked:
 * wrk2 is not packaged in bookworm; wrk, h2load (nghttp2-client), hey and siege are closed loop
 * or rate-limited per connection without intended-time latency, so they cannot correct for
 * coordinated omission. Writes var/results/openloop_generator_check_<stamp>.{tsv,summary.txt,svg}.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/common.js';
import { KnobError, num, runMain, str } from './lib/env.js';
import { fmt } from './lib/gates/verdict.js';
import { noiseLimitsFromEnv, noiseLines, ProbeLog, assessNoise } from './lib/noise.js';
import { accountTokens, newRunId, runGenerator } from './lib/openloop/generator.js';
import { runSender, type SenderConfig } from './lib/openloop/sender.js';
import { resultBase, tsv, writeText } from './lib/results.js';
import { BENCH_SECRET, roundOrder, withServer } from './lib/servers.js';
import { median } from './lib/stats.js';
import { writeChart } from './lib/svg.js';

type Gen = 'loadgen-agent' | 'raw-inline-spin' | 'raw-worker-spin' | 'raw-worker-timer';
const GENS: Gen[] = ['loadgen-agent', 'raw-inline-spin', 'raw-worker-spin', 'raw-worker-timer'];

interface Figures {
  p50: number;
  p99: number;
  lagP99: number;
  offered: number;
}

runMain('bench:openloop:check', async () => {
  const rate = num('TARGET_RPS', 10_000, { min: 1 });
  const duration = num('DURATION', 20, { min: 1 });
  const warmup = num('WARMUP', 3, { min: 0 });
  const rounds = num('ROUNDS', 3, { min: 1, integer: true });
  const connections = num('LOAD_WORKERS', 16, { min: 1, integer: true });
  const server = str('CHECK_SERVER', 'bare');
  if (server !== 'bare' && server !== 'floor') throw new KnobError(`CHECK_SERVER: bare or floor, got ${server}`);
  const tokens = await accountTokens(BENCH_SECRET, 'openloop', 16);
  const base = resultBase('openloop_generator_check');
  const probe = new ProbeLog();
  probe.take('before');
  const rows: Array<Record<string, unknown>> = [];

  const measure = (gen: Gen, port: number): Promise<Figures> => {
    if (gen === 'loadgen-agent') {
      const out = join(ROOT, 'var/results', `.loadgen_check_${process.pid}`);
      execFileSync(process.execPath, [join(ROOT, 'dist/src/loadgen/cli.js'), '--target', 'http', '--url', `http://127.0.0.1:${port}/v3/orders`, '--rate', String(rate), '--duration', String(duration), '--warmup', String(warmup), '--connections', String(connections), '--accounts', '16', '--jwt-secret', BENCH_SECRET, '--out', out], { stdio: 'ignore' });
      const s = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as { latencyUs: { all: { p50: number; p99: number } }; sendLagUs: { p99: number }; rates: { offered: number } };
      return Promise.resolve({ p50: s.latencyUs.all.p50, p99: s.latencyUs.all.p99, lagP99: s.sendLagUs.p99, offered: s.rates.offered });
    }
    const cfg: SenderConfig = { host: '127.0.0.1', port, path: '/v3/orders', tokens, runId: newRunId(), ratePerSec: rate, durationSec: duration, warmupSec: warmup, connections, drainTimeoutSec: 5, mode: gen === 'raw-worker-timer' ? 'timer' : 'spin', spinBelowUs: 2000 };
    const run = gen === 'raw-inline-spin' ? runSender(cfg) : runGenerator(cfg);
    return run.then((r) => ({ p50: r.latencyUs.p50, p99: r.latencyUs.p99, lagP99: r.sendLagUs.p99, offered: r.offeredRps }));
  };

  for (let r = 0; r < rounds; r++) {
    for (const gen of roundOrder(GENS, r)) {
      const f = await withServer(server, {}, (s) => measure(gen, s.port));
      rows.push({ round: r + 1, generator: gen, offered_rps: f.offered, p50_us: f.p50, p99_us: f.p99, send_lag_p99_us: f.lagP99, lag_share_of_p99: f.lagP99 / f.p99 });
      console.error(`[openloop:check] round ${r + 1}/${rounds} ${gen}: offered ${f.offered}/s, client p50 ${f.p50} us p99 ${f.p99} us | generator send lag p99 ${f.lagP99} us (${((100 * f.lagP99) / f.p99).toFixed(1)} % of p99)`);
    }
    probe.take(`after-round-${r + 1}`);
  }
  const med = (g: Gen, k: string) => median(rows.filter((x) => x.generator === g).map((x) => Number(x[k])));
  const na = assessNoise({ probeMs: probe.all, ceilings: [] }, { ...noiseLimitsFromEnv(), minRounds: 0 });
  const best = [...GENS].sort((a, b) => med(a, 'lag_share_of_p99') - med(b, 'lag_share_of_p99'))[0]!;
  const lowest = [...GENS].sort((a, b) => med(a, 'p99_us') - med(b, 'p99_us'))[0]!;
  const lines = [
    'openloop_generator_check',
    `server=${server}`,
    `target_rps=${rate}`,
    `duration_sec=${duration}`,
    `rounds=${rounds}`,
    ...GENS.map((g) => `${g}: p50_us=${fmt(med(g, 'p50_us'))} p99_us=${fmt(med(g, 'p99_us'))} send_lag_p99_us=${fmt(med(g, 'send_lag_p99_us'))} lag_share_of_p99=${fmt(med(g, 'lag_share_of_p99'))} offered_rps=${fmt(med(g, 'offered_rps'))}`),
    `smallest_lag_share=${best}`,
    `lowest_client_p99=${lowest}`,
    ...noiseLines(na, probe),
  ];
  writeText(`${base}.summary.txt`, lines);
  writeFileSync(`${base}.tsv`, tsv(Object.keys(rows[0]!), rows));
  writeChart(
    `${base}.svg`,
    [{ title: `generators against the ${server} server at ${rate}/s (median of rounds)`, unit: 'µs', log: true, groups: ['client p50', 'client p99', 'own send lag p99'], series: GENS.map((g) => ({ name: g, values: [med(g, 'p50_us'), med(g, 'p99_us'), med(g, 'send_lag_p99_us')] })) }],
    `openloop_generator_check ${base.slice(-15)}; probe spread ${fmt(na.probeSpread)}`,
  );
  console.log(lines.join('\n'));
});

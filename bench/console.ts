/**
 * `npm run bench:console`: what one open operator console costs /v3/orders. In the same run, in
 * interleaved rounds: the bare node:http ceiling, the gateway with no console, and the gateway with
 * one console open — a client that does what the browser console does (POST /console/api/session,
 * the console stream at CONSOLE_INTERVAL_MS, the blotter's GET /accounts/{id}/events and its SSE
 * stream GET /stream (which makes the bus relay tail the journals while it is open), the back
 * office P&L every 5th sample, the audit anchor every 10th). Same wrk
 * settings as bench:v3. Reports medians and the ratios to bare; results in
 * var/results/bench-console-<timestamp>.{json,txt}.
 *
 * Env: RUNS (3), DURATION (10), WARMUP (3), CONNECTIONS (50), THREADS (1), CONSOLE_INTERVAL_MS (1000).
 */
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { Sampler } from '../src/console/sampler.js';
import { LatencyHistogram } from '../src/lib/latency.js';
import { ROOT, scrape, writeReport } from './lib/common.js';
import { median, type Started, startNode } from './lib/proc.js';
import { ensureWrk, runWrk, type WrkResult, writeOrderScript } from './lib/wrk.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const THREADS = Number(process.env.THREADS ?? 1);
const INTERVAL_MS = process.env.CONSOLE_INTERVAL_MS ?? '1000';
const SECRET = 'bench-secret';

type Target = 'bare' | 'gateway' | 'console';

interface Round {
  target: Target;
  wrk: WrkResult;
  metrics?: Map<string, number>;
  /** console rounds: samples received and REST calls made by the console client */
  samples?: number;
  calls?: number;
}

/** A console as the browser runs it, minus the drawing. */
function openConsole(base: string, token: string, accountId: string): Promise<{ samples: () => number; calls: () => number; close(): void }> {
  const auth = { authorization: `Bearer ${token}` };
  let samples = 0;
  let calls = 0;
  const call = (path: string): void => {
    calls++;
    fetch(base + path, { headers: auth }).then((r) => r.arrayBuffer(), () => undefined);
  };
  return fetch(`${base}/console/api/session`, { method: 'POST', headers: auth })
    .then((r) => r.json() as Promise<{ ticket: string }>)
    .then(
      ({ ticket }) =>
        new Promise((resolve, reject) => {
          const req = request(`${base}/console/stream?ticket=${encodeURIComponent(ticket)}`, (res) => {
            if (res.statusCode !== 200) return reject(new Error(`console stream: ${res.statusCode}`));
            res.setEncoding('utf8');
            let buf = '';
            res.on('data', (d: string) => {
              buf += d;
              let i;
              while ((i = buf.indexOf('\n\n')) >= 0) {
                const block = buf.slice(0, i);
                buf = buf.slice(i + 2);
                if (!block.startsWith('event: sample')) continue;
                JSON.parse(block.slice(block.indexOf('data: ') + 6));
                samples++;
                if (samples % 5 === 0) call('/console/api/backoffice/pnl');
                if (samples % 10 === 0) call('/audit/anchor');
              }
            });
            // The blotter: its history once, then GET /stream for as long as the console is open.
            call(`/accounts/${accountId}/events?limit=1000`);
            const blotter = request(`${base}/stream`, { headers: auth }, (r) => r.resume());
            blotter.on('error', () => {});
            blotter.end();
            resolve({
              samples: () => samples,
              calls: () => calls,
              close: () => {
                req.destroy();
                blotter.destroy();
              },
            });
          });
          req.on('error', () => {});
          req.end();
        }),
    );
}

async function measure(target: Target, script: string, admin: string): Promise<Round> {
  const server: Started =
    target === 'bare'
      ? await startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0', BUSY_US: '0' })
      : await startNode([join(ROOT, 'dist/src/main.js')], {
          GATEWAY_PORT: '0',
          GATEWAY_TCP_PORT: '0',
          GATEWAY_HOST: '127.0.0.1',
          JWT_HS256_SECRET: SECRET,
          LOG_LEVEL: 'warn',
          KAFKA_ENABLE: '0',
          CONSOLE_INTERVAL_MS: INTERVAL_MS,
          // nothing listens there: the P&L calls get the deliberate 502 quickly
          CONSOLE_BACKOFFICE_URL: 'http://127.0.0.1:1',
        });
  const base = `http://127.0.0.1:${server.port}`;
  const url = `${base}/v3/orders`;
  let console_: Awaited<ReturnType<typeof openConsole>> | null = null;
  try {
    if (target === 'console') console_ = await openConsole(base, admin, 'bench-admin');
    await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: WARMUP });
    if (target !== 'bare') {
      const r = await fetch(`${base}/admin/metrics/reset`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
      if (r.status !== 200) throw new Error(`histogram reset failed: ${r.status}`);
    }
    const s0 = console_?.samples() ?? 0;
    const c0 = console_?.calls() ?? 0;
    const wrk = await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION });
    const round: Round = { target, wrk };
    if (console_ !== null) {
      round.samples = console_.samples() - s0;
      round.calls = console_.calls() - c0;
      if (round.samples === 0) throw new Error('the console received no sample during the run');
    }
    if (target !== 'bare') round.metrics = await scrape(server.port);
    return round;
  } finally {
    console_?.close();
    await server.stop();
  }
}

/**
 * What one console sample costs the gateway's event loop: the sampler over four histograms holding
 * 100 000 values each (spread 1 µs .. 10 ms, new values recorded between samples) plus the JSON
 * the stream writes. Median and p99 of 300 samples, in µs.
 */
function samplerCost(): { medianUs: number; p99Us: number } {
  const hs = ['v3', 'http', 'durable', 'tcp'].map((name) => ({ name, h: new LatencyHistogram() }));
  const fill = (n: number) => {
    for (const { h } of hs) for (let i = 0; i < n; i++) h.record(1000 + Math.floor(Math.random() ** 3 * 10_000_000));
  };
  fill(100_000);
  let acc = 0;
  const sampler = new Sampler(
    {
      accepted: () => acc,
      rejected: () => 0,
      ackHistograms: hs,
      shards: () => Array.from({ length: 4 }, (_, shard) => ({ shard, depth: 10, capacity: 65536, utilisationPct: 0, killed: false, reason: null })),
      kill: () => ({ engaged: false, global: null, accounts: [], sessions: [] }),
      journal: () => ({ durable: 'OK', lastSeq: 1, v3Journaled: true }),
      bus: () => null,
      venues: () => [{ venue: 'sim', state: 'UP', openOrders: 3 }],
    },
    () => performance.now(),
  );
  const us: number[] = [];
  for (let i = 0; i < 300; i++) {
    fill(1000);
    acc += 1000;
    const t0 = performance.now();
    JSON.stringify(sampler.sample());
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  return { medianUs: Math.round(us[150]!), p99Us: Math.round(us[296]!) };
}

async function main(): Promise<void> {
  ensureWrk();
  const sampleCost = samplerCost();
  console.error(`[bench:console] one console sample costs the event loop ${sampleCost.medianUs} us (median), ${sampleCost.p99Us} us (p99)`);
  if (process.env.SAMPLE_COST_ONLY === '1') return;
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const token = await mintToken({ secret: SECRET, accountId: '12345', ttlSec: 86_400 });
  const admin = await mintToken({ secret: SECRET, accountId: 'bench-admin', roles: ['admin'], ttlSec: 86_400 });
  const script = join(ROOT, 'var/results/.wrk_console.lua');
  writeOrderScript(script, token, '/v3/orders');
  const rounds: Round[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const target of ['bare', 'gateway', 'console'] as const) {
      const r = await measure(target, script, admin);
      rounds.push(r);
      console.error(
        `[bench:console] run ${i + 1}/${RUNS} ${target}: ${r.wrk.rps.toFixed(0)} req/s, client p99 ${r.wrk.p99Us.toFixed(0)} us` +
          (r.metrics ? `, in-handler p99 ${r.metrics.get('gateway_live_ack_accepted_p99_us')} us` : '') +
          (r.samples !== undefined ? `, console samples ${r.samples}, console REST calls ${r.calls}` : ''),
      );
    }
  }
  const of = (t: Target) => rounds.filter((r) => r.target === t);
  const med = (t: Target, f: (r: Round) => number) => median(of(t).map(f));
  const row = (t: Target) => ({
    rps: med(t, (r) => r.wrk.rps),
    p50Us: med(t, (r) => r.wrk.p50Us),
    p99Us: med(t, (r) => r.wrk.p99Us),
    inHandlerAcceptedP99Us: t === 'bare' ? null : med(t, (r) => r.metrics!.get('gateway_live_ack_accepted_p99_us') ?? NaN),
    non2xx: of(t).reduce((n, r) => n + r.wrk.non2xx, 0),
  });
  const bare = row('bare');
  const gateway = row('gateway');
  const withConsole = row('console');
  // Paired per run (same minute of machine noise): console round / gateway round of the same run.
  const paired = of('gateway').map((g, i) => of('console')[i]!.wrk.rps / g.wrk.rps);
  const summary = {
    at: new Date().toISOString(),
    sampleCostUs: sampleCost,
    settings: { runs: RUNS, durationSec: DURATION, warmupSec: WARMUP, connections: CONNECTIONS, threads: THREADS, consoleIntervalMs: Number(INTERVAL_MS) },
    bare,
    gateway,
    console: { ...withConsole, samplesPerRun: med('console', (r) => r.samples!), restCallsPerRun: med('console', (r) => r.calls!) },
    ratio: {
      gateway: gateway.rps / bare.rps,
      console: withConsole.rps / bare.rps,
      consoleVsGateway: withConsole.rps / gateway.rps,
      pairedConsoleVsGateway: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
    },
    rounds: rounds.map((r) => ({ target: r.target, rps: r.wrk.rps, p50Us: r.wrk.p50Us, p99Us: r.wrk.p99Us, inHandlerP99Us: r.metrics?.get('gateway_live_ack_accepted_p99_us'), samples: r.samples })),
  };
  const f0 = (n: number) => n.toFixed(0);
  const lines = [
    `bench:console  ${summary.at}  runs=${RUNS} duration=${DURATION}s connections=${CONNECTIONS} threads=${THREADS} console interval=${INTERVAL_MS} ms (medians)`,
    '',
    'target             req/s      client p50   client p99   in-handler accepted p99',
    `bare               ${f0(bare.rps).padEnd(10)} ${f0(bare.p50Us).padStart(7)} us  ${f0(bare.p99Us).padStart(7)} us`,
    `gateway            ${f0(gateway.rps).padEnd(10)} ${f0(gateway.p50Us).padStart(7)} us  ${f0(gateway.p99Us).padStart(7)} us   ${gateway.inHandlerAcceptedP99Us} us`,
    `gateway + console  ${f0(withConsole.rps).padEnd(10)} ${f0(withConsole.p50Us).padStart(7)} us  ${f0(withConsole.p99Us).padStart(7)} us   ${withConsole.inHandlerAcceptedP99Us} us`,
    '',
    `ratio to bare: gateway ${summary.ratio.gateway.toFixed(3)}, gateway + console ${summary.ratio.console.toFixed(3)}; console / no console ${summary.ratio.consoleVsGateway.toFixed(3)}`,
    `paired per run (console / no console): median ${summary.ratio.pairedConsoleVsGateway.median.toFixed(3)}, range ${summary.ratio.pairedConsoleVsGateway.min.toFixed(3)}..${summary.ratio.pairedConsoleVsGateway.max.toFixed(3)} (the spread is this machine's noise)`,
    `one console sample (4 histograms, state, JSON): ${sampleCost.medianUs} us median, ${sampleCost.p99Us} us p99 of event-loop time, once per interval per gateway (not per console)`,
    `console client per run: ${summary.console.samplesPerRun} samples, ${summary.console.restCallsPerRun} REST calls; non-2xx: gateway ${gateway.non2xx}, console ${withConsole.non2xx}`,
  ];
  writeReport('console', summary, lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

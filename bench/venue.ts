/**
 * `npm run bench:venue`: the execution loop under an open-loop load of marketable /v3 orders.
 *
 * Targets, interleaved in every round (this machine's speed swings within minutes):
 *   bare     the bare node:http server (bench/bare-server.ts): the client-side ceiling
 *   none     the gateway with SOR_VENUES=none: acknowledged, journaled, never routed
 *   sim      the gateway with the embedded simulator (its own worker thread)
 *   fix      the gateway with a FIX 4.4 link to the standalone simulator (`npm run venue`, its
 *            own process) over a loopback socket
 *
 * Each round: WARMUP seconds of load, reset of the gateway's histograms, DURATION seconds at RATE
 * orders/s (the load generator of src/loadgen, in this process, over CONNECTIONS keep-alive
 * sockets), then the gateway's own figures: order accepted → the venue's first report
 * (`gateway_venue_ack_*`) and → first fill (`gateway_venue_first_fill_*`), plus what the client
 * saw (ack latency from the intended send time). Reports medians over RUNS rounds and the ratios
 * of the client ack p99 to the bare ceiling and to SOR_VENUES=none; results go to
 * var/results/bench-venue-<timestamp>.{json,txt}.
 *
 * Env: RUNS (3), RATE (10000), DURATION (10), WARMUP (3), CONNECTIONS (32), TARGETS (bare,none,sim,fix).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mintToken } from '../src/auth/token.js';
import { runLoadgen } from '../src/loadgen/run.js';
import type { LoadgenSummary } from '../src/loadgen/summary.js';
import { ROOT, scrape, writeReport } from './lib/common.js';
import { median, type Started, startNode } from './lib/proc.js';

const RUNS = Number(process.env.RUNS ?? 3);
const RATE = Number(process.env.RATE ?? 10_000);
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const TARGETS = (process.env.TARGETS ?? 'bare,none,sim,fix').split(',') as Target[];
const SECRET = 'bench-secret';
const ACCOUNTS = 8;
const LINK_DIR = join(tmpdir(), `sy-bench-venue-link-${process.pid}`);

type Target = 'bare' | 'none' | 'sim' | 'fix';

interface Round {
  target: Target;
  client: LoadgenSummary;
  metrics: Map<string, number> | null;
}

/** The standalone FIX simulator, for the `fix` target: started once, shared by every round. */
async function startFixVenue(dataDir: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/src/venue/fix/acceptor-main.js')], {
    env: { ...process.env, LOG_LEVEL: 'info', VENUE_FIX_PORT: '0', VENUE_FIX_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (l.includes('"msg":"ready"')) resolve(JSON.parse(l).port as number);
    });
    proc.once('exit', (code) => reject(new Error(`FIX venue exited with ${code}`)));
  });
  return { proc, port };
}

function gatewayEnv(target: Target, fixPort: number, dataDir: string): Record<string, string> {
  const base = { GATEWAY_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, LOG_LEVEL: 'warn' };
  if (target === 'none') return { ...base, SOR_VENUES: 'none' };
  if (target === 'sim') return { ...base, SOR_VENUES: 'sim' };
  // one link data directory for every round: the acceptor, shared by the rounds, keeps its side's
  // sequence numbers, and the gateway's side must resume them
  return { ...base, SOR_VENUES: 'fx', VENUE_FX_KIND: 'fix', VENUE_FX_PORT: String(fixPort), VENUE_FX_DATA_DIR: LINK_DIR };
}

async function waitFor(what: string, probe: () => Promise<boolean>, boundMs = 30_000): Promise<void> {
  const end = Date.now() + boundMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function measure(target: Target, tokens: string[], admin: string, fixPort: number): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-bench-venue-'));
  let server: Started;
  if (target === 'bare') server = await startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0' });
  else server = await startNode([join(ROOT, 'dist/src/main.js')], { ...gatewayEnv(target, fixPort, dataDir), GATEWAY_DATA_DIR: join(dataDir, 'gw') });
  const base = `http://127.0.0.1:${server.port}`;
  const load = (durationSec: number) =>
    runLoadgen({
      target: 'http',
      url: `${base}/v3/orders`,
      host: '127.0.0.1',
      port: 0,
      ratePerSec: RATE,
      durationSec,
      warmupSec: 0,
      connections: CONNECTIONS,
      tokens,
      accounts: tokens.map((_, i) => `bench-${i}`),
      symbols: ['AAPL', 'MSFT'],
      qty: 1,
      price: 0,
      type: 'MARKET',
      maxOutstanding: 100_000,
      drainTimeoutSec: 5,
      label: `bench:venue ${target}`,
    });
  try {
    if (target === 'fix') {
      await waitFor('the FIX session', async () => (await scrape(server.port, true)).get('gateway_venue_session_state{venue="fx"}') === 1);
    }
    await load(WARMUP);
    if (target === 'bare') await fetch(`${base}/stats`, { method: 'POST' });
    else {
      const r = await fetch(`${base}/admin/metrics/reset`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
      if (r.status !== 200) throw new Error(`histogram reset failed: ${r.status}`);
    }
    const client = await load(DURATION);
    if (target === 'bare') return { target, client, metrics: null };
    // the last orders' fills arrive after the last answer: wait until routing and fills settle
    let last = -1;
    await waitFor('the venue loop to settle', async () => {
      const m = await scrape(server.port);
      const n = (m.get('gateway_venue_fills_total') ?? 0) + (m.get('gateway_venue_orders_routed_total') ?? 0);
      const settled = n === last;
      last = n;
      return settled;
    });
    return { target, client, metrics: await scrape(server.port) };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const tokens = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => mintToken({ secret: SECRET, accountId: `bench-${i}`, ttlSec: 86_400 })));
  const admin = await mintToken({ secret: SECRET, accountId: 'bench-admin', roles: ['admin'] });
  const venueDir = mkdtempSync(join(tmpdir(), 'sy-bench-fixvenue-'));
  const fix = TARGETS.includes('fix') ? await startFixVenue(venueDir) : null;
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const target of TARGETS) {
        const r = await measure(target, tokens, admin, fix?.port ?? 0);
        rounds.push(r);
        const m = r.metrics;
        console.error(
          `[bench:venue] run ${i + 1}/${RUNS} ${target}: ${r.client.rates.completed.toFixed(0)} orders/s, client ack p50/p99 ${r.client.latencyUs.accepted.p50}/${r.client.latencyUs.accepted.p99} us` +
            (m ? `, venue ack p50/p99 ${m.get('gateway_venue_ack_p50_us')}/${m.get('gateway_venue_ack_p99_us')} us, first fill p50/p99 ${m.get('gateway_venue_first_fill_p50_us')}/${m.get('gateway_venue_first_fill_p99_us')} us, fills ${m.get('gateway_venue_fills_total')}` : ''),
        );
      }
    }
  } finally {
    fix?.proc.kill('SIGTERM');
    rmSync(venueDir, { recursive: true, force: true });
    rmSync(LINK_DIR, { recursive: true, force: true });
  }

  const of = (t: Target) => rounds.filter((r) => r.target === t);
  const med = (t: Target, f: (r: Round) => number) => median(of(t).map(f));
  const metric = (name: string) => (r: Round) => r.metrics?.get(name) ?? NaN;
  const per = Object.fromEntries(
    TARGETS.map((t) => [
      t,
      {
        achievedPerSec: med(t, (r) => r.client.rates.completed),
        clientAckP50Us: med(t, (r) => r.client.latencyUs.accepted.p50),
        clientAckP99Us: med(t, (r) => r.client.latencyUs.accepted.p99),
        venueAckP50Us: med(t, metric('gateway_venue_ack_p50_us')),
        venueAckP99Us: med(t, metric('gateway_venue_ack_p99_us')),
        firstFillP50Us: med(t, metric('gateway_venue_first_fill_p50_us')),
        firstFillP99Us: med(t, metric('gateway_venue_first_fill_p99_us')),
        fills: med(t, metric('gateway_venue_fills_total')),
      },
    ]),
  );
  const ratio = (a: Target, b: Target) => (per[a] && per[b] ? per[a].clientAckP99Us / per[b].clientAckP99Us : NaN);
  const summary = {
    at: new Date().toISOString(),
    settings: { runs: RUNS, ratePerSec: RATE, durationSec: DURATION, warmupSec: WARMUP, connections: CONNECTIONS, accounts: ACCOUNTS, orders: 'MARKET, qty 1, AAPL/MSFT' },
    targets: per,
    ratios: {
      simAckP99VsBare: ratio('sim', 'bare'),
      fixAckP99VsBare: ratio('fix', 'bare'),
      simAckP99VsNone: ratio('sim', 'none'),
      fixAckP99VsNone: ratio('fix', 'none'),
    },
  };
  const lines = [
    `bench:venue ${summary.at}: ${RUNS} interleaved rounds, ${RATE} marketable /v3 orders/s for ${DURATION} s (medians)`,
    ...TARGETS.map((t) => {
      const p = per[t]!;
      const venue = t === 'bare' || t === 'none' ? '' : `; accepted → venue ack p50/p99 ${p.venueAckP50Us}/${p.venueAckP99Us} us, → first fill p50/p99 ${p.firstFillP50Us}/${p.firstFillP99Us} us`;
      return `  ${t.padEnd(5)} ${p.achievedPerSec.toFixed(0)} orders/s, client ack p50/p99 ${p.clientAckP50Us}/${p.clientAckP99Us} us${venue}`;
    }),
    `  client ack p99 ratio: sim/bare ${summary.ratios.simAckP99VsBare.toFixed(2)}, fix/bare ${summary.ratios.fixAckP99VsBare.toFixed(2)}, sim/none ${summary.ratios.simAckP99VsNone.toFixed(2)}, fix/none ${summary.ratios.fixAckP99VsNone.toFixed(2)}`,
  ];
  writeReport('venue', { ...summary, rounds: rounds.map((r) => ({ target: r.target, client: r.client.latencyUs, rates: r.client.rates, metrics: r.metrics && Object.fromEntries([...r.metrics].filter(([k]) => k.startsWith('gateway_venue_'))) })) }, lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

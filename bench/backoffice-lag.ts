/**
 * `npm run bench:backoffice:lag`: the back office's lag behind a real gateway at an offered order
 * rate — events booked, commit time − event `at` (p50/p99/max), and the time it needs to catch up
 * once the load stops — on PostgreSQL and on PGlite, in interleaved rounds.
 *
 * Each round and database, everything fresh:
 *  1. a private `nats-server -js` on a free port (its own store directory);
 *  2. the back office (dist/src/backoffice/main.js, as `npm run backoffice`): BUS_KIND=nats,
 *     PostgreSQL (a new database on BENCH_PG_URL's server) or PGlite (a new data directory);
 *  3. the gateway (dist/src/main.js, bench/lib/servers.ts) with the embedded venue simulator
 *     (SOR_VENUES=sim), BUS_KIND=nats on that server, BACKOFFICE_ENABLE=0;
 *  4. RATE orders/s for DURATION s from the open-loop generator (bench/lib/openloop/): MARKET
 *     orders of qty 1, BUY and SELL by account, so every order fills (OrderAccepted, OrderSent,
 *     ExecutionReports per order reach the bus);
 *  5. after the load: until the back office has applied as many events as the gateway published
 *     and nothing is left in the relay or the consumer (bounded by CATCHUP_TIMEOUT_SEC), polling
 *     every 100 ms; the catch-up time is from the end of the load to that moment;
 *  6. the back office's own figures (/metrics: backoffice_event_lag_p50_us/_p99_us, events by
 *     outcome, batches) and /reconcile, which must say PASS.
 *
 * The lag is the back office's histogram over the whole round: every event, from its `at` on the
 * gateway to the commit of its batch — bus relay, JetStream, consumer and booking included.
 *
 * Env: RATE (10000), DURATION (30), RUNS (1), TARGETS (postgres,pglite), LOAD_WORKERS (16),
 * LOAD_ACCOUNTS (16), CATCHUP_TIMEOUT_SEC (120), BACKOFFICE_BATCH_MAX (passed through; 256),
 * BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres).
 * Results: var/results/bench-backoffice-lag-<ts>.{json,txt}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { ROOT, scrape, timestamp } from './lib/common.js';
import { accountTokens, newRunId, runGenerator, type SenderResult } from './lib/openloop/generator.js';
import { median, type Started, startNode } from './lib/proc.js';
import { BENCH_SECRET, startServer } from './lib/servers.js';
import { scratchDatabase, startNatsServer } from './lib/services.js';

const RATE = Number(process.env.RATE ?? 10_000);
const DURATION = Number(process.env.DURATION ?? 30);
const RUNS = Math.max(1, Number(process.env.RUNS ?? 1));
const TARGETS = (process.env.TARGETS ?? 'postgres,pglite').split(',') as Db[];
const WORKERS = Number(process.env.LOAD_WORKERS ?? 16);
const ACCOUNTS = Number(process.env.LOAD_ACCOUNTS ?? 16);
const CATCHUP_TIMEOUT_MS = Number(process.env.CATCHUP_TIMEOUT_SEC ?? 120) * 1000;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POLL_MS = 100;

type Db = 'postgres' | 'pglite';

interface Round {
  db: Db;
  round: number;
  client: { offeredRps: number; accepted: number; scheduled: number; p99Us: number; byStatus: Record<string, number>; byReason: Record<string, number> };
  gatewayPublished: number;
  gatewayFills: number;
  /** events the back office applied (every outcome) and duplicates */
  applied: number;
  duplicates: number;
  fills: number;
  batches: number;
  /** applied during the load / DURATION */
  bookedPerSecDuringLoad: number;
  /** applied in the whole round / (load + catch-up) */
  bookedPerSecOverall: number;
  lagP50Us: number;
  lagP99Us: number;
  /** lag of the last event booked when it caught up (s) */
  lastLagSec: number;
  catchUpMs: number;
  caughtUp: boolean;
  reconcile: string;
}

async function storageEnv(db: Db): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  if (db === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'sy-bench-bolag-'));
    return { env: { GATEWAY_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db2 = await scratchDatabase(PG_URL, 'bo_lag');
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-bolag-'));
  return {
    env: { BACKOFFICE_DATABASE_URL: db2.url, GATEWAY_DATA_DIR: dir },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      await db2.drop();
    },
  };
}

/** The back office's counters: unlabelled series plus the applied total over outcomes. */
async function boFigures(port: number): Promise<{ m: Map<string, number>; applied: number }> {
  const m = await scrape(port, true);
  let applied = 0;
  for (const [k, v] of m) if (k.startsWith('backoffice_events_applied_total{')) applied += v;
  return { m, applied };
}

async function measure(db: Db, round: number, admin: string): Promise<Round> {
  const nats = await startNatsServer();
  const storage = await storageEnv(db);
  let bo: Started | undefined;
  let gw: Started | undefined;
  try {
    bo = await startNode([join(ROOT, 'dist/src/backoffice/main.js')], {
      ...storage.env,
      BUS_KIND: 'nats',
      NATS_URL: nats.url,
      BACKOFFICE_PORT: '0',
      BACKOFFICE_HOST: '127.0.0.1',
      BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
      JWT_HS256_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'warn',
    });
    gw = await startServer('gateway', { BUS_KIND: 'nats', NATS_URL: nats.url, SOR_VENUES: 'sim', BACKOFFICE_ENABLE: '0' });
    const tokens = await accountTokens(BENCH_SECRET, `bolag${round}`, ACCOUNTS);
    const gen: SenderResult = await runGenerator({
      host: '127.0.0.1', port: gw.port, path: '/v3/orders', tokens, runId: newRunId(), ratePerSec: RATE, durationSec: DURATION, warmupSec: 0,
      connections: WORKERS, drainTimeoutSec: 5, mode: 'timer', spinBelowUs: 2000, order: 'market',
    });
    const loadEnd = performance.now();
    const atLoadEnd = await boFigures(bo.port);

    // catch up: everything the gateway published is applied, nothing left in the relay or the consumer
    let caughtUp = false;
    let gwm = new Map<string, number>();
    let last = atLoadEnd;
    let lastChange = loadEnd;
    while (performance.now() - loadEnd < CATCHUP_TIMEOUT_MS) {
      gwm = await scrape(gw.port);
      const now = await boFigures(bo.port);
      const seen = now.applied + (now.m.get('backoffice_events_duplicate_total') ?? 0);
      if (now.applied !== last.applied) lastChange = performance.now();
      last = now;
      const published = gwm.get('gateway_bus_published_total') ?? NaN;
      const settled = (gwm.get('gateway_bus_lag_records') ?? 1) === 0 && (now.m.get('backoffice_consumer_pending') ?? 1) === 0;
      if (settled && seen >= published) {
        caughtUp = true;
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const catchUpMs = Math.max(0, lastChange - loadEnd);
    const fin = last.m;
    const rec = (await (await fetch(`http://127.0.0.1:${bo.port}/reconcile`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { result: string };
    return {
      db,
      round,
      client: { offeredRps: gen.offeredRps, accepted: gen.accepted, scheduled: gen.scheduled, p99Us: gen.latencyUs.p99, byStatus: gen.byStatus, byReason: gen.byReason },
      gatewayPublished: gwm.get('gateway_bus_published_total') ?? NaN,
      gatewayFills: gwm.get('gateway_venue_fills_total') ?? NaN,
      applied: last.applied,
      duplicates: fin.get('backoffice_events_duplicate_total') ?? 0,
      fills: fin.get('backoffice_fills_total') ?? 0,
      batches: fin.get('backoffice_batches_total') ?? 0,
      bookedPerSecDuringLoad: Math.round(atLoadEnd.applied / DURATION),
      bookedPerSecOverall: Math.round(last.applied / (DURATION + catchUpMs / 1000)),
      lagP50Us: fin.get('backoffice_event_lag_p50_us') ?? NaN,
      lagP99Us: fin.get('backoffice_event_lag_p99_us') ?? NaN,
      lastLagSec: fin.get('backoffice_last_event_lag_seconds') ?? NaN,
      catchUpMs: Math.round(catchUpMs),
      caughtUp,
      reconcile: rec.result,
    };
  } finally {
    await gw?.stop();
    await bo?.stop();
    await nats.stop();
    await storage.cleanup();
  }
}

async function main(): Promise<void> {
  const ts = timestamp();
  const admin = await mintToken({ secret: BENCH_SECRET, accountId: 'bench-admin', roles: ['admin'] });
  const rounds: Round[] = [];
  for (let r = 0; r < RUNS; r++) {
    const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length]!);
    for (const db of order) {
      const res = await measure(db, r, admin);
      rounds.push(res);
      console.error(
        `[bench] round ${r + 1}/${RUNS} ${db}: offered ${res.client.offeredRps}/s, ${res.client.accepted}/${res.client.scheduled} orders accepted ` +
          `(${JSON.stringify(res.client.byStatus)}${Object.keys(res.client.byReason).length > 0 ? ` ${JSON.stringify(res.client.byReason)}` : ''}), ${res.gatewayPublished} events published, ${res.applied} events booked (${res.bookedPerSecDuringLoad}/s during the load), ` +
          `lag p50 ${res.lagP50Us} µs p99 ${res.lagP99Us} µs, caught up ${res.caughtUp ? `${res.catchUpMs} ms` : 'NOT'} after the load, ${res.batches} batches, reconcile ${res.reconcile}`,
      );
    }
  }
  const summary = Object.fromEntries(
    TARGETS.map((db) => {
      const rs = rounds.filter((x) => x.db === db);
      const med = (f: (x: Round) => number): number => median(rs.map(f));
      return [
        db,
        {
          offeredRps: Math.round(med((x) => x.client.offeredRps)),
          ordersAccepted: Math.round(med((x) => x.client.accepted)),
          eventsPublished: Math.round(med((x) => x.gatewayPublished)),
          eventsBooked: Math.round(med((x) => x.applied)),
          bookedPerSecDuringLoad: Math.round(med((x) => x.bookedPerSecDuringLoad)),
          lagP50Us: med((x) => x.lagP50Us),
          lagP99Us: med((x) => x.lagP99Us),
          catchUpMs: med((x) => x.catchUpMs),
          eventsPerBatch: Math.round(med((x) => (x.batches > 0 ? x.applied / x.batches : 0))),
          allCaughtUp: rs.every((x) => x.caughtUp),
          reconcile: rs.every((x) => x.reconcile === 'PASS') ? 'PASS' : 'FAIL',
        },
      ];
    }),
  );
  const lines = [
    `bench:backoffice:lag ${new Date().toISOString()}  RATE=${RATE} orders/s DURATION=${DURATION}s RUNS=${RUNS} BACKOFFICE_BATCH_MAX=${process.env.BACKOFFICE_BATCH_MAX ?? '256 (default)'} (medians over rounds)`,
    `${'db'.padEnd(9)} ${'offered/s'.padStart(9)} ${'accepted'.padStart(8)} ${'published'.padStart(9)} ${'booked'.padStart(8)} ${'booked/s'.padStart(9)} ${'lag p50'.padStart(12)} ${'lag p99'.padStart(12)} ${'catch-up'.padStart(9)} ${'ev/batch'.padStart(8)}  reconcile`,
    ...Object.entries(summary).map(
      ([db, s]) =>
        `${db.padEnd(9)} ${String(s.offeredRps).padStart(9)} ${String(s.ordersAccepted).padStart(8)} ${String(s.eventsPublished).padStart(9)} ${String(s.eventsBooked).padStart(8)} ${String(s.bookedPerSecDuringLoad).padStart(9)} ` +
        `${`${s.lagP50Us} µs`.padStart(12)} ${`${s.lagP99Us} µs`.padStart(12)} ${`${s.catchUpMs} ms`.padStart(9)} ${String(s.eventsPerBatch).padStart(8)}  ${s.reconcile}${s.allCaughtUp ? '' : ' (did NOT catch up within CATCHUP_TIMEOUT_SEC)'}`,
    ),
  ];
  const outDir = join(ROOT, 'var', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `bench-backoffice-lag-${ts}.json`), JSON.stringify({ rate: RATE, durationSec: DURATION, runs: RUNS, summary, rounds }, null, 2) + '\n');
  writeFileSync(join(outDir, `bench-backoffice-lag-${ts}.txt`), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  console.log(`\nresults: var/results/bench-backoffice-lag-${ts}.{json,txt}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

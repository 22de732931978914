/**
 * `npm run bench:backoffice`: events booked per second and apply latency of the back office's
 * books, on PostgreSQL and on PGlite, each next to a bare insert loop on the same database in the
 * same run. Four modes per database:
 *
 *  - booking: a synthetic order flow (per order: OrderAccepted, OrderSent, a partial and a final
 *    ExecutionReport; accounts × symbols, buys and sells) applied one event per transaction
 *    through the Booker (what the service does when events arrive one at a time);
 *  - booking-batch: the same flow in batches of BATCH events, one transaction each, through the
 *    Booker (what the service does with a backlog: BACKOFFICE_BATCH_MAX);
 *  - bare: `INSERT INTO bench_bare (id, body) VALUES ($1, $2)` with the same count, each INSERT its
 *    own transaction: the ceiling of one-transaction-per-event on that database;
 *  - bare-batch: the same rows, BATCH per transaction as ONE multi-row INSERT (`unnest` of an id
 *    array): the ceiling of batched booking, which writes a batch with one multi-row statement
 *    (storage/batch-sql.ts) after reading the state it needs.
 *
 * Latency is per event: its transaction's start to its commit (for a batch, the whole batch).
 * RUNS rounds; in each, for each database, the order of the modes rotates. Medians over rounds
 * are reported, each round listed too. PostgreSQL: a fresh database on BENCH_PG_URL's server
 * (dropped at the end), skipped when it does not answer; PGlite: a fresh data directory on disk,
 * as the service uses it. Results in var/results/bench-backoffice-<ts>.{json,txt}.
 *
 * Env: RUNS (3), EVENTS (20000 per round and mode), BATCH (256, as BACKOFFICE_BATCH_MAX),
 * BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres). The lag at an offered order rate,
 * through a real gateway and NATS, is bench/backoffice-lag.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { Booker } from '../src/backoffice/booker.js';
import { loadBackofficeConfig } from '../src/backoffice/config.js';
import type { Delivery } from '../src/backoffice/input/delivery.js';
import { BackofficeStats } from '../src/backoffice/metrics.js';
import { reconcile } from '../src/backoffice/reconciler.js';
import { type OpenBooks, openBooks } from '../src/backoffice/storage/open.js';
import type { BusEvent } from '../src/contract/bus-event.js';
import { LatencyHistogram } from '../src/lib/latency.js';
import { ROOT, timestamp } from './lib/common.js';
import { median } from './lib/proc.js';
import { scratchDatabase } from './lib/services.js';

const RUNS = Math.max(1, Number(process.env.RUNS ?? 3));
const EVENTS = Math.max(4, Number(process.env.EVENTS ?? 20_000));
const BATCH = Math.max(1, Number(process.env.BATCH ?? 256));
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = pino({ level: 'warn' });
const rules = loadBackofficeConfig({}).booking;

const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
const SYMBOLS: Array<[string, number]> = [
  ['AAPL', 15_000],
  ['MSFT', 42_000],
  ['NVDA', 14_000],
  ['BTC', 9_000_000],
  ['ETH', 350_000],
  ['SOL', 20_000],
];

/** `n` events of a deterministic order flow under gateway id `gw`. */
function flow(gw: string, n: number): Delivery[] {
  let s = 7;
  const rnd = (k: number): number => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) % k);
  const out: Delivery[] = [];
  let seq = 1;
  let t = Date.now();
  const ev = (type: string, accountId: string, orderId: string, data: Record<string, unknown>): void => {
    const event: BusEvent = { type, at: new Date(t++).toISOString(), accountId, orderId, data };
    out.push({ id: `${gw}.orders.${seq++}`, event, problem: null });
  };
  for (let i = 0; out.length < n; i++) {
    const acct = ACCOUNTS[rnd(ACCOUNTS.length)]!;
    const [sym, ref] = SYMBOLS[rnd(SYMBOLS.length)]!;
    const side = rnd(2) === 0 ? 'BUY' : 'SELL';
    const qty = 2 + rnd(500);
    const part = 1 + rnd(qty - 1);
    const [p1, p2] = [ref + rnd(20) - 10, ref + rnd(20) - 10];
    const id = `o-${i}`;
    ev('OrderAccepted', acct, id, { acceptSeq: i, clientOrderId: `c-${i}`, expireAt: null, idempotencyKey: `k-${i}`, price: ref + 10, qty, side, symbol: sym, timeInForce: 'GTC', type: 'LIMIT' });
    ev('OrderSent', acct, id, { venue: 'SIM' });
    const base = { execType: 'TRADE', reason: null, side, symbol: sym, venue: 'SIM' };
    ev('ExecutionReport', acct, id, { ...base, avgPx: p1, cumQty: part, execId: `x-${i}-1`, lastPx: p1, lastQty: part, leavesQty: qty - part, status: 'PARTIALLY_FILLED' });
    ev('ExecutionReport', acct, id, { ...base, avgPx: (part * p1 + (qty - part) * p2) / qty, cumQty: qty, execId: `x-${i}-2`, lastPx: p2, lastQty: qty - part, leavesQty: 0, status: 'FILLED' });
  }
  return out.slice(0, n);
}

const MODES = ['bare', 'booking', 'bare-batch', 'booking-batch'] as const;
type Mode = (typeof MODES)[number];

interface Result {
  perSec: number;
  p50Us: number;
  p99Us: number;
}

async function bookingRound(ob: OpenBooks, gw: string): Promise<Result> {
  const stats = new BackofficeStats();
  const booker = new Booker(ob.books, rules, stats, { retryMinMs: 10, retryMaxMs: 100 }, log);
  const events = flow(gw, EVENTS);
  const t0 = performance.now();
  for (const d of events) await booker.book(d);
  const sec = (performance.now() - t0) / 1000;
  if (stats.appliedTotal !== EVENTS) throw new Error(`booked ${stats.appliedTotal} of ${EVENTS}`);
  return { perSec: EVENTS / sec, p50Us: stats.apply.percentileUs(50), p99Us: stats.apply.percentileUs(99) };
}

async function bookingBatchRound(ob: OpenBooks, gw: string): Promise<Result> {
  const stats = new BackofficeStats();
  const booker = new Booker(ob.books, rules, stats, { retryMinMs: 10, retryMaxMs: 100 }, log);
  const events = flow(gw, EVENTS);
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) await booker.bookBatch(events.slice(i, i + BATCH));
  const sec = (performance.now() - t0) / 1000;
  if (stats.appliedTotal !== EVENTS) throw new Error(`booked ${stats.appliedTotal} of ${EVENTS}`);
  return { perSec: EVENTS / sec, p50Us: stats.apply.percentileUs(50), p99Us: stats.apply.percentileUs(99) };
}

async function bareBatchRound(pool: pg.Pool, tag: string): Promise<Result> {
  const h = new LatencyHistogram();
  const body = JSON.stringify(flow('x', 1)[0]!.event);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const n = Math.min(BATCH, EVENTS - i);
    const ids = Array.from({ length: n }, (_, j) => `${tag}.${i + j}`);
    const s = performance.now();
    await pool.query({
      name: 'bench_bare_batch',
      text: 'INSERT INTO bench_bare (id, body) SELECT id, $2::text FROM unnest($1::text[]) AS u(id)',
      values: [ids, body],
    });
    const e = performance.now();
    for (let j = 0; j < n; j++) h.since(s, e);
  }
  const sec = (performance.now() - t0) / 1000;
  return { perSec: EVENTS / sec, p50Us: h.percentileUs(50), p99Us: h.percentileUs(99) };
}

async function bareRound(pool: pg.Pool, tag: string): Promise<Result> {
  const h = new LatencyHistogram();
  const body = JSON.stringify(flow('x', 1)[0]!.event);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const s = performance.now();
    await pool.query({ name: 'bench_bare', text: 'INSERT INTO bench_bare (id, body) VALUES ($1, $2)', values: [`${tag}.${i}`, body] });
    h.since(s, performance.now());
  }
  const sec = (performance.now() - t0) / 1000;
  return { perSec: EVENTS / sec, p50Us: h.percentileUs(50), p99Us: h.percentileUs(99) };
}

async function pgAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

interface Target {
  name: 'postgres' | 'pglite';
  ob: OpenBooks;
  cleanup(): Promise<void>;
}

async function targets(): Promise<Target[]> {
  const out: Target[] = [];
  if (await pgAnswers()) {
    const db = await scratchDatabase(PG_URL, 'bo_bench');
    const ob = await openBooks({ kind: 'postgres', url: db.url }, log);
    out.push({
      name: 'postgres',
      ob,
      cleanup: async () => {
        await ob.close();
        await db.drop();
      },
    });
  } else {
    console.error(`[bench] PostgreSQL at ${PG_URL} does not answer: PostgreSQL skipped`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-bo-'));
  const ob = await openBooks({ kind: 'pglite', dir: join(dir, 'pglite') }, log);
  out.push({ name: 'pglite', ob, cleanup: async () => (await ob.close(), rmSync(dir, { recursive: true, force: true })) });
  for (const t of out) await t.ob.pool.query('CREATE TABLE IF NOT EXISTS bench_bare (id text PRIMARY KEY, body text NOT NULL)');
  return out;
}

async function main(): Promise<void> {
  const ts = timestamp();
  const all = await targets();
  const rounds: Record<string, Record<Mode, Result[]>> = {};
  for (const t of all) rounds[t.name] = { booking: [], 'booking-batch': [], bare: [], 'bare-batch': [] };
  for (let r = 0; r < RUNS; r++) {
    for (const t of all) {
      const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
      for (const mode of order) {
        let res: Result;
        if (mode === 'bare') res = await bareRound(t.ob.pool, `r${r}`);
        else if (mode === 'bare-batch') res = await bareBatchRound(t.ob.pool, `rb${r}`);
        else if (mode === 'booking') res = await bookingRound(t.ob, `bench${r}`);
        else res = await bookingBatchRound(t.ob, `benchb${r}`);
        rounds[t.name]![mode].push(res);
        console.error(`[bench] round ${r + 1}/${RUNS} ${t.name} ${mode}: ${res.perSec.toFixed(0)}/s p50 ${res.p50Us} µs p99 ${res.p99Us} µs`);
      }
    }
  }
  const checks: Record<string, string> = {};
  for (const t of all) checks[t.name] = (await reconcile(t.ob.books, null)).result;
  for (const t of all) await t.cleanup();

  const med = (xs: Result[], k: keyof Result): number => median(xs.map((x) => x[k]));
  const row = (xs: Result[]): Result => ({ perSec: Math.round(med(xs, 'perSec')), p50Us: med(xs, 'p50Us'), p99Us: med(xs, 'p99Us') });
  const summary = Object.fromEntries(
    Object.entries(rounds).map(([name, m]) => {
      const modes = Object.fromEntries(MODES.map((mode) => [mode, row(m[mode])])) as Record<Mode, Result>;
      const ratio = (a: Mode, b: Mode): number => Math.round((modes[a].perSec / modes[b].perSec) * 100) / 100;
      return [name, { ...modes, bookingToBare: ratio('booking', 'bare'), batchToBareBatch: ratio('booking-batch', 'bare-batch'), batchToBooking: ratio('booking-batch', 'booking'), reconcile: checks[name] }];
    }),
  );
  const lines = [
    `bench:backoffice ${new Date().toISOString()}  RUNS=${RUNS} EVENTS=${EVENTS} BATCH=${BATCH} (per round and mode; medians over rounds; latency per event, transaction start to commit)`,
    `${'db'.padEnd(9)} ${'mode'.padEnd(14)} ${'events/s'.padStart(9)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}`,
    ...Object.entries(summary).flatMap(([name, s]) => [
      ...MODES.map((mode) => `${name.padEnd(9)} ${mode.padEnd(14)} ${String(s[mode].perSec).padStart(9)} ${`${s[mode].p50Us} µs`.padStart(10)} ${`${s[mode].p99Us} µs`.padStart(10)}`),
      `${name.padEnd(9)} booking/bare ${s.bookingToBare.toFixed(2)}, booking-batch/bare-batch ${s.batchToBareBatch.toFixed(2)}, booking-batch/booking ${s.batchToBooking.toFixed(2)}; reconcile ${s.reconcile}`,
    ]),
  ];
  const outDir = join(ROOT, 'var', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `bench-backoffice-${ts}.json`), JSON.stringify({ runs: RUNS, events: EVENTS, batch: BATCH, summary, rounds }, null, 2) + '\n');
  writeFileSync(join(outDir, `bench-backoffice-${ts}.txt`), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  console.log(`\nresults: var/results/bench-backoffice-${ts}.{json,txt}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * `npm run bench:durable`: the durable `POST /orders` path with fdatasync group commit, the same
 * run with fsync off for comparison, then recovery speed on the journal the first run produced.
 *
 * First the ceiling: a bare node:http server (bench/bare-server.ts: JSON.parse + answer, no
 * auth, no journal) driven by the same wrk script and settings. Then for each mode (fsync on,
 * fsync off): start a gateway on a fresh data directory, warm it up with WARMUP seconds of load,
 * reset its histograms, drive it for DURATION seconds with wrk (every request a new order:
 * unique Idempotency-Key and clientOrderId), scrape /metrics, stop it. Then restart a gateway on
 * the fsync-on data directory and read its recovery metrics (records replayed, replay time).
 * Snapshots are off in these runs, so the restart replays the whole journal. Results go to
 * var/results/bench-durable-<timestamp>.{json,txt}.
 *
 * RUNS rounds (default 3) alternate bare / sync on / sync off (+ recovery) and the medians are
 * reported, each round's figures listed too.
 *
 * Env: RUNS (3), VARIANT_ENV (none: see below), DURATION (10), WARMUP (3), CONNECTIONS (64), THREADS (1), KEEP_DATA (0: data
 * directories are removed at the end). Risk and journal variables pass through
 * (e.g. AUDIT_FDATASYNC_MAX_WAIT_US, V3_RISK_PROFILE).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { ROOT, scrape, variantEnv, writeReport } from './lib/common.js';
import { type Started, startNode } from './lib/proc.js';
import { ensureWrk, runWrk, type WrkResult, writeOrderScript } from './lib/wrk.js';

const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const THREADS = Number(process.env.THREADS ?? 1);
const KEEP_DATA = process.env.KEEP_DATA === '1';
const RUNS = Math.max(1, Number(process.env.RUNS ?? 3));
/**
 * VARIANT_ENV="NAME=value,NAME2=value": each round also runs sync on with these variables (an
 * A/B in the same rounds, e.g. VARIANT_ENV=AUDIT_IO=pool).
 */
const VARIANT = variantEnv();
const SECRET = 'bench-secret';

const TARGETS = { fsyncOnAcksPerSecMin: 20_000, durableAckP99MaxUs: 5_000, recoveryRecordsPerSecMin: 500_000 };

function gatewayEnv(dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    GATEWAY_PORT: '0',
    GATEWAY_TCP_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    JWT_HS256_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    KAFKA_ENABLE: '0',
    GATEWAY_DATA_DIR: dataDir,
    SNAPSHOT_EVERY_RECORDS: '0',
    AUDIT_HMAC_KEYS: process.env.AUDIT_HMAC_KEYS ?? 'bench:bench-audit-key',
    ...extra,
  };
}

interface ModeResult {
  mode: 'fsync-on' | 'fsync-off' | 'variant';
  dataDir: string;
  wrk: WrkResult;
  server: {
    durableAckP50Us: number;
    durableAckP99Us: number;
    durableAckP999Us: number;
    fdatasyncP50Us: number;
    fdatasyncP99Us: number;
    batchRecordsP50: number;
    batchRecordsP99: number;
    batches: number;
    recordsJournaled: number;
    ordersAccepted: number;
    journalBytes: number;
    gcMinorSec: number;
    gcMajorSec: number;
  };
}

async function measure(mode: ModeResult['mode'], token: string, admin: string): Promise<ModeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `sy-bench-durable-${mode}-`));
  const env = mode === 'variant' ? { AUDIT_FDATASYNC: '1', ...VARIANT } : { AUDIT_FDATASYNC: mode === 'fsync-on' ? '1' : '0' };
  const gw: Started = await startNode([join(ROOT, 'dist/src/main.js')], gatewayEnv(dataDir, env));
  const url = `http://127.0.0.1:${gw.port}/orders`;
  const warm = join(ROOT, `var/results/.wrk_durable_${mode}_warmup.lua`);
  const main = join(ROOT, `var/results/.wrk_durable_${mode}.lua`);
  try {
    const run = `${mode}-${Date.now().toString(36)}`;
    writeOrderScript(warm, token, '/orders', `${run}-w`);
    writeOrderScript(main, token, '/orders', run);
    if (WARMUP > 0) await runWrk({ url, script: warm, threads: THREADS, connections: CONNECTIONS, durationSec: WARMUP });
    const r = await fetch(`http://127.0.0.1:${gw.port}/admin/metrics/reset`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    if (r.status !== 200) throw new Error(`histogram reset failed: ${r.status}`);
    const before = await scrape(gw.port, true);
    const wrk = await runWrk({ url, script: main, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION });
    const m = await scrape(gw.port, true);
    const g = (name: string) => m.get(name) ?? NaN;
    const delta = (name: string) => g(name) - (before.get(name) ?? 0);
    return {
      mode,
      dataDir,
      wrk,
      server: {
        durableAckP50Us: g('gateway_durable_ack_p50_us'),
        durableAckP99Us: g('gateway_durable_ack_p99_us'),
        durableAckP999Us: g('gateway_durable_ack_p999_us'),
        fdatasyncP50Us: g('gateway_fdatasync_p50_us'),
        fdatasyncP99Us: g('gateway_fdatasync_p99_us'),
        batchRecordsP50: g('gateway_wal_batch_records_p50'),
        batchRecordsP99: g('gateway_wal_batch_records_p99'),
        batches: delta('gateway_wal_batches_total'),
        recordsJournaled: delta('gateway_wal_records_total'),
        ordersAccepted: delta('gateway_orders_accepted_total'),
        journalBytes: g('gateway_wal_bytes'),
        gcMinorSec: gcSeconds(m, 'minor') - gcSeconds(before, 'minor'),
        gcMajorSec: gcSeconds(m, 'major') - gcSeconds(before, 'major'),
      },
    };
  } finally {
    await gw.stop();
    for (const f of [warm, main]) rmSync(f, { force: true });
  }
}

function gcSeconds(m: Map<string, number>, kind: string): number {
  return m.get(`nodejs_gc_duration_seconds_sum{kind="${kind}"}`) ?? 0;
}

interface Recovery {
  records: number;
  replayMs: number;
  recordsPerSec: number;
  totalMs: number;
  orders: number;
}

/** The bare node:http ceiling under the same wrk script and settings. */
async function bare(token: string): Promise<WrkResult> {
  const srv: Started = await startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0' });
  const script = join(ROOT, 'var/results/.wrk_durable_bare.lua');
  try {
    writeOrderScript(script, token, '/orders', `bare-${Date.now().toString(36)}`);
    const url = `http://127.0.0.1:${srv.port}/orders`;
    if (WARMUP > 0) await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: WARMUP });
    return await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION });
  } finally {
    await srv.stop();
    rmSync(script, { force: true });
  }
}

async function recover(dataDir: string): Promise<Recovery> {
  const gw = await startNode([join(ROOT, 'dist/src/main.js')], gatewayEnv(dataDir, {}));
  try {
    const m = await scrape(gw.port, true);
    const records = m.get('gateway_recovery_records') ?? 0;
    const replayMs = m.get('gateway_recovery_replay_ms') ?? NaN;
    return {
      records,
      replayMs,
      recordsPerSec: m.get('gateway_recovery_records_per_sec') ?? NaN,
      totalMs: m.get('gateway_recovery_ms') ?? NaN,
      orders: (['ACCEPTED', 'CANCELED', 'CANCEL_REQUESTED', 'FILLED', 'PARTIALLY_FILLED', 'REJECTED', 'EXPIRED'] as const).reduce(
        (n, s) => n + (m.get(`gateway_orders{status="${s}"}`) ?? 0),
        0,
      ),
    };
  } finally {
    await gw.stop();
  }
}

async function main(): Promise<void> {
  ensureWrk();
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const token = await mintToken({ secret: SECRET, accountId: 'bench-durable', ttlSec: 86_400 });
  const admin = await mintToken({ secret: SECRET, accountId: 'bench-admin', roles: ['admin'], ttlSec: 86_400 });

  const results: ModeResult[] = [];
  const dirs: string[] = [];
  try {
    // Rounds alternate bare / sync on / sync off, so that the three see the same machine: on a
    // shared VM the CPU available swings by several times within a minute.
    const bares: WrkResult[] = [];
    const recs: Recovery[] = [];
    const rounds: string[] = [];
    for (let round = 1; round <= RUNS; round++) {
      const b = await bare(token);
      bares.push(b);
      console.error(`[bench:durable] round ${round}/${RUNS} bare node:http ceiling: ${b.rps.toFixed(0)} req/s, client p99 ${b.p99Us.toFixed(0)} us`);
      const pair: ModeResult[] = [];
      for (const mode of VARIANT === null ? (['fsync-on', 'fsync-off'] as const) : (['fsync-on', 'fsync-off', 'variant'] as const)) {
        const r = await measure(mode, token, admin);
        results.push(r);
        pair.push(r);
        dirs.push(r.dataDir);
        console.error(
          `[bench:durable] round ${round}/${RUNS} ${mode}: ${r.wrk.rps.toFixed(0)} acks/s, client p99 ${r.wrk.p99Us.toFixed(0)} us, server durable ack p99 ${r.server.durableAckP99Us} us, batch p50 ${r.server.batchRecordsP50} records`,
        );
      }
      const rec = await recover(pair[0]!.dataDir);
      recs.push(rec);
      console.error(`[bench:durable] round ${round}/${RUNS} recovery: ${rec.records} records in ${rec.replayMs} ms (${rec.recordsPerSec} records/s), total ${rec.totalMs} ms`);
      const v = pair[2];
      rounds.push(
        `round ${round}: bare ${b.rps.toFixed(0)}, sync on ${pair[0]!.wrk.rps.toFixed(0)} (${(pair[0]!.wrk.rps / b.rps).toFixed(2)}, server ack p99 ${pair[0]!.server.durableAckP99Us} us), sync off ${pair[1]!.wrk.rps.toFixed(0)} (${(pair[1]!.wrk.rps / b.rps).toFixed(2)})` +
          (v === undefined ? '' : `, variant ${v.wrk.rps.toFixed(0)} (${(v.wrk.rps / b.rps).toFixed(2)}, server ack p99 ${v.server.durableAckP99Us} us, sync p50 ${v.server.fdatasyncP50Us} us)`) +
          `; recovery ${rec.recordsPerSec} records/s`,
      );
    }
    // Medians: the round with the median throughput of each mode, reported whole.
    const byRps = <T>(xs: T[], rps: (x: T) => number): T => [...xs].sort((a, b) => rps(a) - rps(b))[xs.length >> 1]!;
    const on = byRps(results.filter((r) => r.mode === 'fsync-on'), (r) => r.wrk.rps);
    const off = byRps(results.filter((r) => r.mode === 'fsync-off'), (r) => r.wrk.rps);
    const variants = results.filter((r) => r.mode === 'variant');
    const variant = variants.length > 0 ? byRps(variants, (r) => r.wrk.rps) : null;
    const ceiling = byRps(bares, (b) => b.rps);
    const rec = byRps(recs, (r) => r.recordsPerSec);

    const summary = {
      at: new Date().toISOString(),
      rounds,
      settings: { rounds: RUNS, durationSec: DURATION, warmupSec: WARMUP, connections: CONNECTIONS, threads: THREADS, snapshots: 'off', cpus: (await import('node:os')).cpus().length },
      fsyncOn: { acksPerSec: on.wrk.rps, clientP50Us: on.wrk.p50Us, clientP99Us: on.wrk.p99Us, non2xx: on.wrk.non2xx, socketErrors: on.wrk.socketErrors, ...on.server },
      fsyncOff: { acksPerSec: off.wrk.rps, clientP50Us: off.wrk.p50Us, clientP99Us: off.wrk.p99Us, non2xx: off.wrk.non2xx, socketErrors: off.wrk.socketErrors, ...off.server },
      variant: variant === null ? null : { env: VARIANT, acksPerSec: variant.wrk.rps, clientP50Us: variant.wrk.p50Us, clientP99Us: variant.wrk.p99Us, ...variant.server },
      bare: { rps: ceiling.rps, clientP50Us: ceiling.p50Us, clientP99Us: ceiling.p99Us },
      ratios: { fsyncOnVsBare: on.wrk.rps / ceiling.rps, fsyncOffVsBare: off.wrk.rps / ceiling.rps },
      recovery: rec,
      targets: TARGETS,
    };
    const pass = {
      throughput: on.wrk.rps >= TARGETS.fsyncOnAcksPerSecMin,
      latency: on.server.durableAckP99Us <= TARGETS.durableAckP99MaxUs,
      recovery: rec.recordsPerSec >= TARGETS.recoveryRecordsPerSecMin,
      errors: results.every((r) => r.wrk.non2xx + r.wrk.socketErrors === 0),
    };
    const row = (name: string, r: ModeResult) =>
      `${name.padEnd(10)} ${r.wrk.rps.toFixed(0).padStart(8)}  ${r.wrk.p50Us.toFixed(0).padStart(9)}  ${r.wrk.p99Us.toFixed(0).padStart(9)}  ${String(r.server.durableAckP50Us).padStart(9)}  ${String(r.server.durableAckP99Us).padStart(9)}  ${String(r.server.durableAckP999Us).padStart(9)}  ${String(r.server.fdatasyncP50Us).padStart(8)}  ${String(r.server.fdatasyncP99Us).padStart(8)}  ${String(r.server.batchRecordsP50).padStart(5)}/${String(r.server.batchRecordsP99).padEnd(5)}`;
    const lines = [
      `bench:durable  ${summary.at}  duration=${DURATION}s warmup=${WARMUP}s connections=${CONNECTIONS} threads=${THREADS} cpus=${summary.settings.cpus} rounds=${RUNS} (medians)`,
      '',
      '                       client (wrk)          server: request start -> durable ack       fdatasync        batch',
      'mode          acks/s    p50 us     p99 us     p50 us     p99 us    p999 us   p50 us    p99 us   p50/p99 records',
      row('fsync on', on),
      row('fsync off', off),
      ...(variant === null ? [] : [row('variant', variant), `  (variant: sync on with ${process.env.VARIANT_ENV})`]),
      `${'bare http'.padEnd(10)} ${ceiling.rps.toFixed(0).padStart(8)}  ${ceiling.p50Us.toFixed(0).padStart(9)}  ${ceiling.p99Us.toFixed(0).padStart(9)}  (node:http JSON.parse + answer, no auth/journal: the ceiling)`,
      '',
      ...rounds,
      '',
      `ratios of the medians to the bare ceiling (same run): fsync on ${(on.wrk.rps / ceiling.rps).toFixed(2)}, fsync off ${(off.wrk.rps / ceiling.rps).toFixed(2)}; fsync on / fsync off ${(on.wrk.rps / off.wrk.rps).toFixed(2)}`,
      `batches (fsync on): ${on.server.batches} for ${on.server.recordsJournaled} records`,
      `non-2xx answers (all runs): ${results.reduce((n, r) => n + r.wrk.non2xx, 0)}; socket errors: ${results.reduce((n, r) => n + r.wrk.socketErrors, 0)}; GC (fsync on run): minor ${on.server.gcMinorSec.toFixed(2)} s, major ${on.server.gcMajorSec.toFixed(2)} s`,
      `recovery (restart on a sync-on journal, no snapshot; median round): ${rec.records} records replayed in ${rec.replayMs} ms = ${rec.recordsPerSec} records/s; start-up recovery total ${rec.totalMs} ms; ${rec.orders} orders rebuilt`,
      '',
      `targets: fsync-on acks/s >= ${TARGETS.fsyncOnAcksPerSecMin} ${pass.throughput ? 'PASS' : 'FAIL'}; server durable ack p99 <= ${TARGETS.durableAckP99MaxUs} us ${pass.latency ? 'PASS' : 'FAIL'}; recovery >= ${TARGETS.recoveryRecordsPerSecMin} records/s ${pass.recovery ? 'PASS' : 'FAIL'}; no errors ${pass.errors ? 'PASS' : 'FAIL'}`,
    ];
    writeReport('durable', { ...summary, pass }, lines);
  } finally {
    if (!KEEP_DATA) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

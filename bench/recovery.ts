/**
 * `npm run bench:recovery`: start-up recovery speed of the durable path, against the journal
 * reader alone on the same files in the same run.
 *
 * 1. Builds a journal of ORDERS orders (default 500,000) through the durable service itself
 *    (fsync off, snapshots off): the bench:durable order shape, one OrderAccepted record each
 *    (Idempotency-Key = clientOrderId), spread over ACCOUNTS accounts, plus CANCEL_PCT % cancel
 *    requests so that the replay sees every record type.
 * 2. Ceiling: `replayJournal` over the directory with a callback that does nothing (framing,
 *    CRC and seq checks only: the least any recovery must do).
 * 3. Recovery: `startDurable` on the directory (decode every record, rebuild orders, the
 *    idempotency index and the risk exposure, check the HMAC chain of every replayed record),
 *    RUNS times, each in a fresh Node process (as a restart is), with the flags in
 *    RECOVERY_NODE_FLAGS (default none, as `npm start`).
 * 4. The same recovery with the chain checked inline rather than in a worker thread, and with no
 *    check at all (`chainCheck: 'off'`, which a start-up never does), and the reader with
 *    `verifyChain`, in the same rounds: what the check costs.
 *
 * 5. Restart time against history length (`flat`): for each history length in FLAT_HISTORY
 *    (default 10k, 100k, 1M orders), a journal of that many orders, all cancelled and past their
 *    retention (IDEMPOTENCY_TTL_SEC=1, SNAPSHOT_RETAIN_TERMINAL_SEC=0), then the same open state
 *    (FLAT_OPEN working orders, default 10 000), a snapshot, and FLAT_TAIL more orders after it
 *    (default 1 000). Restarts from the snapshot FLAT_RUNS times (fresh processes) and once from
 *    the journal alone, and prints the restart times side by side: with a state snapshot they
 *    should not grow with the history, without one they do.
 *
 * Prints records/s of each and their ratios, and writes var/results/bench-recovery-<ts>.{json,txt}.
 * The files are in the page cache (they were just written): this measures the CPU side.
 *
 * Env: ORDERS (500000), ACCOUNTS (16), CANCEL_PCT (5), RUNS (5), KEEP_DATA (0),
 * RECOVERY_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=var/prof" to profile a recovery),
 * PARTS ("replay,flat": which parts run), FLAT_HISTORY ("10000,100000,1000000"), FLAT_OPEN (10000),
 * FLAT_TAIL (1000), FLAT_RUNS (3).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../src/contract/order.js';
import { startDurable } from '../src/durable/recovery.js';
import type { DurableOrders } from '../src/durable/service.js';
import type { AnswerKind, DurableResponder, RecoveryStats } from '../src/durable/types.js';
import { replayJournal } from '../src/journal/reader.js';
import { parseKeySpec } from '../src/lib/key-spec.js';
import { RiskEngine } from '../src/risk/engine.js';
import { ROOT, timestamp } from './lib/common.js';

const ORDERS = Number(process.env.ORDERS ?? 500_000);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 16);
const CANCEL_PCT = Number(process.env.CANCEL_PCT ?? 5);
const RUNS = Math.max(1, Number(process.env.RUNS ?? 5));
const KEEP_DATA = process.env.KEEP_DATA === '1';
const TARGET_RECORDS_PER_SEC = 500_000;
const PARTS = new Set((process.env.PARTS ?? 'replay,flat').split(',').map((x) => x.trim()));
const FLAT_HISTORY = (process.env.FLAT_HISTORY ?? '10000,100000,1000000').split(',').map(Number);
const FLAT_OPEN = Number(process.env.FLAT_OPEN ?? 10_000);
const FLAT_TAIL = Number(process.env.FLAT_TAIL ?? 1_000);
const FLAT_RUNS = Math.max(1, Number(process.env.FLAT_RUNS ?? 3));

const log = pino({ level: 'silent' });
const NULL_KILL = { blockedAccount: (): null => null };

/** The flat part: orders past their retention leave the snapshot. */
const FLAT_ENV = { IDEMPOTENCY_TTL_SEC: '1', SNAPSHOT_RETAIN_TERMINAL_SEC: '0' };

function env(dir: string): Record<string, string> {
  return {
    ...(process.env.BENCH_RECOVERY_FLAT === '1' ? FLAT_ENV : {}),
    GATEWAY_DATA_DIR: dir,
    AUDIT_HMAC_KEYS: 'bench:bench-recovery-key',
    AUDIT_FDATASYNC: '0',
    SNAPSHOT_EVERY_RECORDS: '0',
    BACKPRESSURE_INFLIGHT_MAX: '0',
    V3_RISK_STRICT_SYMBOLS: '0',
    MAX_NOTIONAL: '1e15',
    LOG_LEVEL: 'silent',
  };
}

/** Counts the answers of the orders written while building a journal. */
class BuildAnswers implements DurableResponder<null> {
  answered = 0;
  wake: (() => void) | null = null;
  answer(): void {
    this.answered++;
    this.wake?.();
  }
  fail(_k: AnswerKind, _s: null, _o: unknown, _t: number, reason: string): void {
    throw new Error(`order failed while building the journal: ${reason}`);
  }
}

type ChainMode = 'worker' | 'inline' | 'off';

async function open(dir: string, chainCheck: ChainMode = 'worker', answers = new BuildAnswers(), noSnapshot = false): Promise<{ svc: DurableOrders<null>; ms: number }> {
  const loaded = loadConfig(env(dir));
  const cfg = noSnapshot ? { ...loaded, durable: { ...loaded.durable, snapshotDir: join(dir, 'no-snapshots') } } : loaded;
  const t0 = performance.now();
  const svc = await startDurable(cfg.durable, log, new RiskEngine(cfg.risk), NULL_KILL, answers, { orderIdPrefix: 'ord_b_', chainCheck });
  return { svc, ms: performance.now() - t0 };
}

/** Writes the journal; returns the number of records. */
async function build(dir: string): Promise<number> {
  const answers = new BuildAnswers();
  const { svc } = await open(dir, 'worker', answers);
  const req: NewOrder = { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null };
  let sent = 0;
  const ids: [string, string][] = [];
  const cancelEvery = CANCEL_PCT > 0 ? Math.round(100 / CANCEL_PCT) : 0;
  for (let i = 1; i <= ORDERS; i++) {
    const key = `bench-1-${i}`;
    const account = `acct-${i % ACCOUNTS}`;
    const reason = svc.submit(account, key, { ...req, clientOrderId: key }, null, performance.now());
    if (reason !== null) throw new Error(`order rejected while building the journal: ${reason}`);
    sent++;
    if (cancelEvery > 0 && i % cancelEvery === 0) ids.push([account, `ord_b_${i}`]);
    if ((i & 0x1fff) === 0) {
      for (const [a, id] of ids) {
        const r = svc.cancel(a, id, null, performance.now());
        if (r !== null) throw new Error(`cancel rejected while building the journal: ${r}`);
        sent++;
      }
      ids.length = 0;
      while (answers.answered < sent) await new Promise<void>((r) => (answers.wake = r));
    }
  }
  for (const [a, id] of ids) {
    if (svc.cancel(a, id, null, performance.now()) === null) sent++;
  }
  while (answers.answered < sent) await new Promise<void>((r) => (answers.wake = r));
  const records = svc.journal.lastSeq;
  await svc.close();
  return records;
}

/** One recovery in a fresh process; returns its RecoveryStats. */
function recoverInChild(dataDir: string, mode: ChainMode, opts: { flat?: boolean; noSnapshot?: boolean } = {}): Promise<RecoveryStats> {
  const flags = (process.env.RECOVERY_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  return new Promise((resolve, reject) => {
    const args = [...flags, process.argv[1]!, '--recover', dataDir, mode, opts.noSnapshot === true ? 'no-snapshot' : 'snapshot'];
    const childEnv = { ...process.env, BENCH_RECOVERY_FLAT: opts.flat === true ? '1' : '0' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`recovery process exited with ${code}`));
      else resolve(JSON.parse(out) as RecoveryStats);
    });
  });
}

/** Child mode: recover the directory, print the stats, exit. */
async function recoverHere(dataDir: string, mode: ChainMode, noSnapshot: boolean): Promise<void> {
  const { svc } = await open(dataDir, mode, new BuildAnswers(), noSnapshot);
  const st = svc.recovery;
  await svc.close();
  process.stdout.write(JSON.stringify(st));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-recovery-'));
  try {
    console.error(`[bench:recovery] writing ${ORDERS} orders (${CANCEL_PCT} % cancelled) over ${ACCOUNTS} accounts into ${dataDir}`);
    const records = await build(dataDir);
    const journalDir = loadConfig(env(dataDir)).durable.journalDir;

    const keys = parseKeySpec(env(dataDir).AUDIT_HMAC_KEYS!);

    const ceiling: number[] = [];
    const ceilingChain: number[] = [];
    const byMode: Record<ChainMode, number[]> = { worker: [], inline: [], off: [] };
    const modes: ChainMode[] = ['worker', 'inline', 'off'];
    for (let r = 0; r < RUNS; r++) {
      // Interleaved (and rotating which recovery goes first), so that all see the same machine state.
      const t0 = performance.now();
      const res = await replayJournal(journalDir, () => undefined);
      const ms = performance.now() - t0;
      if (res.records !== records) throw new Error(`reader saw ${res.records} records, expected ${records}`);
      ceiling.push((records * 1000) / ms);
      const t1 = performance.now();
      const resChain = await replayJournal(journalDir, () => undefined, { verifyChain: true, keys });
      if (resChain.records !== records) throw new Error(`reader (chain) saw ${resChain.records} records, expected ${records}`);
      ceilingChain.push((records * 1000) / (performance.now() - t1));

      for (let k = 0; k < modes.length; k++) {
        const mode = modes[(k + r) % modes.length]!;
        const st = await recoverInChild(dataDir, mode);
        if (st.replayedRecords !== records) throw new Error(`recovery replayed ${st.replayedRecords} records, expected ${records}`);
        if (st.chainVerified !== (mode !== 'off')) throw new Error('the chain check was not as asked');
        byMode[mode].push((records * 1000) / st.replayMs);
      }
      console.error(
        `[bench:recovery] run ${r + 1}: reader ${Math.round(ceiling[r]!)} records/s (with chain ${Math.round(ceilingChain[r]!)}), ` +
          `recovery ${Math.round(byMode.worker[r]!)} records/s (chain checked inline ${Math.round(byMode.inline[r]!)}, not checked ${Math.round(byMode.off[r]!)})`,
      );
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const recovery = byMode.worker;
    const out = {
      at: new Date().toISOString(),
      orders: ORDERS,
      records,
      runs: RUNS,
      readerRecordsPerSec: Math.round(median(ceiling)),
      readerWithChainRecordsPerSec: Math.round(median(ceilingChain)),
      recoveryRecordsPerSec: Math.round(median(recovery)),
      recoveryChainInlineRecordsPerSec: Math.round(median(byMode.inline)),
      recoveryWithoutChainRecordsPerSec: Math.round(median(byMode.off)),
      ratio: median(recovery) / median(ceiling),
      chainCheckCost: 1 - median(recovery) / median(byMode.off),
      allRecovery: recovery.map(Math.round),
      allRecoveryChainInline: byMode.inline.map(Math.round),
      allRecoveryWithoutChain: byMode.off.map(Math.round),
      allReader: ceiling.map(Math.round),
      allReaderWithChain: ceilingChain.map(Math.round),
      target: TARGET_RECORDS_PER_SEC,
      pass: median(recovery) >= TARGET_RECORDS_PER_SEC,
    };
    const text = [
      `bench:recovery  ${out.at}  ${records} records (${ORDERS} orders), ${RUNS} runs, medians`,
      `journal reader alone (framing + CRC + seq checks): ${out.readerRecordsPerSec} records/s; with the HMAC chain: ${out.readerWithChainRecordsPerSec} records/s`,
      `durable recovery (decode + rebuild orders, idempotency keys, exposure; HMAC chain checked in a worker): ${out.recoveryRecordsPerSec} records/s`,
      `  the same with the chain checked inline: ${out.recoveryChainInlineRecordsPerSec} records/s; not checked (for comparison only): ${out.recoveryWithoutChainRecordsPerSec} records/s (the check costs ${(out.chainCheckCost * 100).toFixed(0)} %)`,
      `ratio recovery/reader: ${out.ratio.toFixed(2)}`,
      `target: recovery >= ${TARGET_RECORDS_PER_SEC} records/s ${out.pass ? 'PASS' : 'FAIL'}`,
    ].join('\n');
    console.log(text);
    const dir = join(process.env.RESULTS_DIR ?? join(ROOT, 'var', 'results'));
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `bench-recovery-${timestamp()}`);
    writeFileSync(`${base}.json`, JSON.stringify(out, null, 2));
    writeFileSync(`${base}.txt`, text + '\n');
  } finally {
    if (!KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
    else console.error(`[bench:recovery] data kept in ${dataDir}`);
  }
}

/**
 * The flat part's journal: `history` orders, cancelled, past their retention; then FLAT_OPEN
 * working orders (the same for every history length), a snapshot, and FLAT_TAIL more orders.
 */
async function buildFlat(dir: string, history: number): Promise<{ records: number; snapshotSeq: number }> {
  const answers = new BuildAnswers();
  const { svc } = await open(dir, 'worker', answers);
  const req: NewOrder = { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null };
  let sent = 0;
  let n = 0;
  const submit = (cancel: boolean): void => {
    n++;
    const key = `flat-${n}`;
    const account = `acct-${n % ACCOUNTS}`;
    const reason = svc.submit(account, key, { ...req, clientOrderId: key }, null, performance.now());
    if (reason !== null) throw new Error(`order rejected while building the journal: ${reason}`);
    sent++;
    if (cancel) {
      const r = svc.cancel(account, `ord_b_${n}`, null, performance.now());
      if (r !== null) throw new Error(`cancel rejected while building the journal: ${r}`);
      sent++;
    }
  };
  const settle = async (): Promise<void> => {
    while (answers.answered < sent) await new Promise<void>((r) => (answers.wake = r));
  };
  for (let i = 0; i < history; i++) {
    submit(true);
    if ((i & 0x1fff) === 0x1fff) await settle();
  }
  await settle();
  // Past the idempotency TTL (1 s) of every history order: none is retained by the snapshot.
  await new Promise((r) => setTimeout(r, 1_200));
  for (let i = 0; i < FLAT_OPEN; i++) {
    submit(false);
    if ((i & 0x1fff) === 0x1fff) await settle();
  }
  await settle();
  await svc.snapshot();
  const snapshotSeq = svc.counters.snapshotLastSeq;
  if (snapshotSeq === 0) throw new Error('the snapshot was not written');
  for (let i = 0; i < FLAT_TAIL; i++) submit(false);
  await settle();
  const records = svc.journal.lastSeq;
  await svc.close();
  return { records, snapshotSeq };
}

interface FlatRow {
  history: number;
  records: number;
  snapshotSeq: number;
  snapshotBytes: number;
  snapshotOrders: number;
  replayedRecords: number;
  restartMs: number;
  snapshotLoadMs: number;
  replayMs: number;
  allRestartMs: number[];
  restartWithoutSnapshotMs: number;
  ordersHeld: number;
}

async function flat(): Promise<FlatRow[]> {
  const rows: FlatRow[] = [];
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  process.env.BENCH_RECOVERY_FLAT = '1';
  try {
    for (const history of FLAT_HISTORY) {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-recovery-flat-'));
      try {
        console.error(`[bench:recovery] flat: ${history} orders of history (cancelled), then ${FLAT_OPEN} open, a snapshot, ${FLAT_TAIL} more`);
        const { records, snapshotSeq } = await buildFlat(dataDir, history);
        const snapDir = join(dataDir, 'snapshots');
        const snapFile = readdirSync(snapDir).filter((f) => f.endsWith('.snap')).sort().pop()!;
        const snapshotBytes = statSync(join(snapDir, snapFile)).size;
        const stats: RecoveryStats[] = [];
        for (let r = 0; r < FLAT_RUNS; r++) stats.push(await recoverInChild(dataDir, 'worker', { flat: true }));
        const s0 = stats[0]!;
        if (s0.snapshotSeq !== snapshotSeq || s0.replayedRecords !== records - snapshotSeq) {
          throw new Error(`recovery started at ${s0.snapshotSeq} and replayed ${s0.replayedRecords}; expected ${snapshotSeq} and ${records - snapshotSeq}`);
        }
        const without = await recoverInChild(dataDir, 'worker', { flat: true, noSnapshot: true });
        if (without.replayedRecords !== records) throw new Error(`recovery without the snapshot replayed ${without.replayedRecords} of ${records}`);
        const byTotal = [...stats].sort((a, b) => a.totalMs - b.totalMs);
        const mid = byTotal[byTotal.length >> 1]!;
        const row: FlatRow = {
          history,
          records,
          snapshotSeq,
          snapshotBytes,
          snapshotOrders: s0.snapshotOrders,
          replayedRecords: s0.replayedRecords,
          restartMs: Math.round(median(stats.map((x) => x.totalMs))),
          snapshotLoadMs: Math.round(mid.snapshotMs),
          replayMs: Math.round(mid.replayMs),
          allRestartMs: stats.map((x) => Math.round(x.totalMs)),
          restartWithoutSnapshotMs: Math.round(without.totalMs),
          ordersHeld: s0.orders,
        };
        console.error(`[bench:recovery] flat: ${JSON.stringify(row)}`);
        rows.push(row);
      } finally {
        if (!KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
        else console.error(`[bench:recovery] data kept in ${dataDir}`);
      }
    }
  } finally {
    delete process.env.BENCH_RECOVERY_FLAT;
  }
  return rows;
}

function flatText(rows: FlatRow[]): string {
  const pad = (x: string | number, n: number): string => String(x).padStart(n);
  const lines = [
    `restart time against history length: ${FLAT_OPEN} open orders, history cancelled and past retention, ${FLAT_TAIL} orders after the snapshot; median of ${FLAT_RUNS} restarts`,
    `${pad('history', 9)} ${pad('records', 9)} ${pad('snap bytes', 11)} ${pad('snap orders', 11)} ${pad('replayed', 9)} ${pad('restart ms', 10)} ${pad('load ms', 8)} ${pad('replay ms', 9)} ${pad('no snapshot ms', 14)}`,
  ];
  for (const r of rows) {
    lines.push(
      `${pad(r.history, 9)} ${pad(r.records, 9)} ${pad(r.snapshotBytes, 11)} ${pad(r.snapshotOrders, 11)} ${pad(r.replayedRecords, 9)} ${pad(r.restartMs, 10)} ${pad(r.snapshotLoadMs, 8)} ${pad(r.replayMs, 9)} ${pad(r.restartWithoutSnapshotMs, 14)}`,
    );
  }
  if (rows.length >= 2) {
    const a = rows[0]!;
    const b = rows[rows.length - 1]!;
    lines.push(
      `history x${Math.round(b.history / Math.max(1, a.history))}: restart from the snapshot x${(b.restartMs / a.restartMs).toFixed(2)}, snapshot size x${(b.snapshotBytes / a.snapshotBytes).toFixed(2)}; from the journal alone x${(b.restartWithoutSnapshotMs / a.restartWithoutSnapshotMs).toFixed(1)}`,
    );
  }
  return lines.join('\n');
}

async function run(): Promise<void> {
  if (PARTS.has('replay')) await main();
  if (PARTS.has('flat')) {
    const rows = await flat();
    const text = `bench:recovery (flat)  ${new Date().toISOString()}\n` + flatText(rows);
    console.log(text);
    const dir = join(process.env.RESULTS_DIR ?? join(ROOT, 'var', 'results'));
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `bench-recovery-flat-${timestamp()}`);
    writeFileSync(`${base}.json`, JSON.stringify({ at: new Date().toISOString(), open: FLAT_OPEN, tail: FLAT_TAIL, runs: FLAT_RUNS, rows }, null, 2));
    writeFileSync(`${base}.txt`, text + '\n');
  }
}

if (process.argv[2] === '--recover') await recoverHere(process.argv[3]!, process.argv[4] as ChainMode, process.argv[5] === 'no-snapshot');
else await run();

/**
 * Start-up of the durable path: keys, snapshot, replay of the journal after the snapshot (HMAC
 * chain checked), journal writer open (a torn tail is cut and set aside in a side file; a corrupt
 * complete record refuses the start), then the service is ready. Runs before any listener starts,
 * so no request sees a half-rebuilt book.
 *
 *   loadLatestSnapshot → walkJournal(snapshot.seq + 1 ..) → JournalWriter.open({ tail })
 *
 * The replay reads the newest segment to its end anyway; the writer takes where it ends and the
 * chain head from the replay (`tail`) rather than reading it a second time.
 *
 * Rebuilt: orders and their events, idempotency keys (still within their TTL), exposure in the
 * shared risk engine, the acceptSeq counter and the event clock. A format-2 snapshot holds state
 * (working orders, terminal orders still retained, positions, the execution stage's venue state):
 * nothing before its seq is read.
 */
import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';
import type { DurableConfig } from '../config/durable.js';
import { type JournalIo, JournalIntegrityError, JournalWriter, listSegments, loadLatestSnapshot, type ReplayRecord, walkJournal, type WalkResult } from '../journal/index.js';
import { releaseDecodeBuffers } from '../orders/event-codec.js';
import type { RiskEngine } from '../risk/engine.js';
import { EventDecodeError, MAX_ORDER_RECORD_TYPE } from '../orders/events.js';
import { loadSnapshot, SnapshotFormatError, snapshotHeader, type SnapshotHeader } from '../orders/snapshot.js';
import { type ChainBreak, checkChain, checkChainInWorker } from '../journal/chain-check.js';
import { startIoThread } from '../journal/io-thread.js';
import { loadJournalKeys } from './keys.js';
import { DurableOrders } from './service.js';
import type { JournalProgress } from './progress.js';
import { type OutboundQueue, ROUTED_RECORD_TYPE } from '../orders/outbound.js';
import { OrderBook } from '../orders/book.js';
import { isVenueEvent } from '../orders/order.js';
import { type DurableResponder, JournalBatchStats, type KillView, type RecoveryStats } from './types.js';

/**
 * Journal bytes per order, a little under what an OrderAccepted record takes (about 150 bytes
 * with its framing and chain hash): sizes the order indexes before the replay.
 */
const BYTES_PER_ORDER_ESTIMATE = 128;

/** Room in the I/O thread's write buffer beyond a full batch (a segment header, a large record). */
const IO_THREAD_HEADROOM = 64 * 1024;

/** Upper bound of that estimate (a 64 MiB index); a larger book grows its index as it goes. */
const MAX_PRESIZED_ORDERS = 1 << 21;

/** Anomalies logged one by one before only counting them. */
const MAX_LOGGED_ANOMALIES = 20;

/** Bytes of the journal's segments; with `afterSeq`, only of those that can hold records after it. */
async function segmentBytes(dir: string, afterSeq = 0): Promise<number> {
  let total = 0;
  const segs = await listSegments(dir);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const next = segs[i + 1];
    if (next !== undefined && next.firstSeq <= afterSeq + 1) continue;
    try {
      total += (await fsp.stat(s.path)).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

/** AUDIT_FAILPOINT=fdatasync-eio (tests): every fdatasync fails, as on a dying disk. */
const FAILING_SYNC: Partial<JournalIo> = {
  fdatasync(_fd, cb) {
    const err = new Error('EIO: i/o error, fdatasync (failpoint)') as NodeJS.ErrnoException;
    err.code = 'EIO';
    cb(err);
  },
};

export interface StartDurableOptions {
  /** journal I/O overrides (tests: hold or fail an fdatasync) */
  io?: Partial<JournalIo>;
  /**
   * How the HMAC chain of the replayed records is checked: 'worker' (default: in a worker thread
   * while this one replays), 'inline' (in the replay), 'off'. The last two only to measure what
   * the check costs (bench:recovery): a start-up must not skip it.
   */
  chainCheck?: 'worker' | 'inline' | 'off';
  /** order id prefix (tests); default per process start */
  orderIdPrefix?: string;
  /** where accepted orders and cancels go to reach a venue (DurableDeps.outbound) */
  outbound?: OutboundQueue;
  /** told how far the journal is durable (DurableDeps.progress) */
  progress?: JournalProgress;
  /**
   * Venue records of orders this book does not hold (/v3 and binary TCP orders: their venue
   * events, and the routing records ROUTED_RECORD_TYPE), in journal order, with their payload:
   * the execution stage's own recovery.
   */
  venueRecords?: (seq: number, type: number, payload: Buffer) => void;
  /**
   * The execution stage's part of a snapshot: `take` is called when a snapshot is taken (the
   * state of the orders it routed that this book does not hold, JSON-serialisable), `restore`
   * with what the snapshot loaded at start-up holds, before the journal after it is replayed
   * through `venueRecords`.
   */
  venueSnapshot?: VenueSnapshot;
}

/** The execution stage's state in snapshots (StartDurableOptions.venueSnapshot). */
export interface VenueSnapshot {
  take(): unknown;
  restore(state: unknown): void;
}

export async function startDurable<S>(
  cfg: DurableConfig,
  log: Logger,
  risk: RiskEngine,
  kill: KillView,
  responder: DurableResponder<S>,
  opts: StartDurableOptions = {},
): Promise<DurableOrders<S>> {
  const t0 = performance.now();
  const { keys, activeKeyId } = await loadJournalKeys(cfg, log);
  const now = Date.now();

  // 1. Snapshot: read first, so that the indexes are sized from it and the records after it.
  const ts = performance.now();
  let snap = await loadLatestSnapshot(cfg.snapshotDir, (file, reason) => log.warn({ file, reason }, 'snapshot skipped'));
  let header: SnapshotHeader | null = null;
  if (snap !== null) {
    try {
      header = snapshotHeader(snap.bytes);
    } catch (err) {
      if (!(err instanceof SnapshotFormatError)) throw err;
      throw new Error(
        `snapshot ${snap.seq} in ${cfg.snapshotDir} passed its checksum but cannot be read (${err.message}); move it away to recover from the journal alone`,
      );
    }
    if (header.v === 1 && opts.venueRecords !== undefined) {
      // Format 1 holds the book's events only: the routing records and venue events of the
      // /v3 orders before it would be missing. The journal alone has them.
      log.warn(
        { snapshotSeq: snap.seq, snapshotDir: cfg.snapshotDir },
        'snapshot in format 1 (history, no venue state) ignored while venues are configured: recovering from the whole journal; the next snapshot is written in format 2',
      );
      snap = null;
      header = null;
    }
  }
  const journalBytesAtOpen = await segmentBytes(cfg.journalDir);
  const bytesToReplay = snap === null ? journalBytesAtOpen : await segmentBytes(cfg.journalDir, snap.seq);
  const snapshotOrdersHint = header === null ? 0 : header.v === 1 ? (header.events ?? 0) : Math.ceil(snap!.bytes.length / 150);
  // The book is recovered first; the service that appends to its journal is built last, around
  // the recovered book and the writer opened at the journal's end.
  const book = new OrderBook(risk, {
    idempotencyTtlMs: cfg.idempotencyTtlSec * 1000,
    orderIdPrefix: opts.orderIdPrefix,
    expectedOrders: Math.min(MAX_PRESIZED_ORDERS, snapshotOrdersHint + Math.ceil(bytesToReplay / BYTES_PER_ORDER_ESTIMATE)),
  });
  const journalStats = new JournalBatchStats();
  let anomalies = 0;
  const anomaly = (what: string): void => {
    if (++anomalies <= MAX_LOGGED_ANOMALIES) log.warn({ anomaly: what }, 'journal record skipped during recovery');
  };

  let snapshotSeq = 0;
  let snapshotEvents = 0;
  let snapshotOrders = 0;
  if (snap !== null) {
    try {
      const r = loadSnapshot(book, snap.bytes, now);
      snapshotSeq = snap.seq;
      snapshotEvents = r.events;
      snapshotOrders = r.orders;
      for (const a of r.anomalies) anomaly(a);
      if (r.hasVenueState && r.venue !== null && opts.venueSnapshot !== undefined) {
        try {
          opts.venueSnapshot.restore(r.venue);
        } catch (err) {
          throw new SnapshotFormatError(`its venue section: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      if (!(err instanceof SnapshotFormatError)) throw err;
      // Part of it may be applied already (to the shared risk engine too): do not guess.
      throw new Error(
        `snapshot ${snap.seq} in ${cfg.snapshotDir} passed its checksum but cannot be read (${err.message}); move it away to recover from the journal alone`,
      );
    }
  }
  const snapshotMs = performance.now() - ts;

  // 2. Replay the journal after the snapshot: framing, CRC and seq of every record are checked,
  //    and the HMAC chain of every replayed record (an edited record with a recomputed CRC is
  //    caught here, not only by /audit/verify). A torn tail (the last write never completed, so it
  //    was never acknowledged) ends the replay; the writer cuts it below. Damage before the end,
  //    a corrupt complete record and a broken chain stop the start (the last one unless
  //    JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN says otherwise).
  let replayMs = 0;
  let replayed = 0;
  let replayedTo = snapshotSeq;
  let chainBreaks = 0;
  const chainMode = opts.chainCheck ?? 'worker';
  const verifyChain = chainMode !== 'off';
  const onRecord = (rec: ReplayRecord): void => {
    replayed++;
    replayedTo = rec.seq;
    if (rec.type === ROUTED_RECORD_TYPE) {
      opts.venueRecords?.(rec.seq, rec.type, rec.bytes.subarray(rec.payloadStart, rec.payloadEnd));
      return;
    }
    if (rec.type < 1 || rec.type > MAX_ORDER_RECORD_TYPE) return;
    const r = book.applyRecordBytes(rec.seq, rec.type, rec.bytes, rec.payloadStart, rec.payloadEnd, now);
    if (typeof r === 'object') anomaly(r.anomaly);
    else if (r === 'ignored' && isVenueEvent(rec.type)) opts.venueRecords?.(rec.seq, rec.type, rec.bytes.subarray(rec.payloadStart, rec.payloadEnd));
  };
  const replay = async (fromSeq: number, toSeq: number | undefined): Promise<WalkResult> => {
    const tr = performance.now();
    try {
      return await walkJournal(cfg.journalDir, onRecord, { fromSeq, toSeq });
    } catch (err) {
      if (err instanceof EventDecodeError) throw new Error(`journal record cannot be decoded: ${err.message}`);
      throw err;
    } finally {
      replayMs += performance.now() - tr;
    }
  };
  /** A chain break: refuses the start, or (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN) is logged. */
  const chainBroken = (e: ChainBreak): void => {
    if (!cfg.recoveryAllowBrokenChain) {
      throw new JournalIntegrityError(
        e.kind,
        e.seq,
        e.segment,
        e.offset,
        `${e.detail}: the journal's HMAC chain is broken (a record was changed after it was written, or the audit keys are not the ones ` +
          'that wrote it); refusing to start. Check it with journal-verify; JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1 starts anyway',
      );
    }
    if (++chainBreaks <= MAX_LOGGED_ANOMALIES) {
      log.error({ code: e.code, segment: e.segment, offset: e.offset, seq: e.seq, detail: e.detail }, 'journal HMAC chain broken: starting anyway (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1)');
    }
  };
  /** The chain of [fromSeq, toSeq], checked in this thread (inline mode, and the rare second replay below). */
  const checkInline = async (fromSeq: number, toSeq?: number): Promise<void> => {
    const tc = performance.now();
    const checked = await checkChain(cfg.journalDir, keys, fromSeq, MAX_LOGGED_ANOMALIES, toSeq);
    replayMs += performance.now() - tc;
    for (const b of checked.breaks) chainBroken(b);
    chainBreaks += checked.total - checked.breaks.length;
  };
  // The chain of the range is checked in a worker thread while this one replays it (one HMAC per
  // record would otherwise double the replay time); its verdict comes before the writer opens.
  const chainCheck = chainMode === 'worker' ? checkChainInWorker(cfg.journalDir, keys, snapshotSeq + 1, MAX_LOGGED_ANOMALIES) : null;
  chainCheck?.catch(() => {}); // awaited below; a failure is not unhandled meanwhile
  const walk = await replay(snapshotSeq + 1, undefined);
  releaseDecodeBuffers();
  if (chainMode === 'inline') await checkInline(snapshotSeq + 1);
  if (chainCheck !== null) {
    const tw = performance.now();
    const checked = await chainCheck;
    replayMs += performance.now() - tw; // the replay is not done before its chain is
    for (const b of checked.breaks) chainBroken(b);
    chainBreaks += checked.total - checked.breaks.length;
  }

  // 3. Open the writer after the last valid record, cutting a torn tail. The replay has just
  //    read the newest segment to its end: the writer takes its end and chain head from it
  //    instead of reading the segment again.
  let tornTail = false;
  // The I/O thread is for synced writes; without fsync the thread pool's page-cache writes are fine.
  const io: Partial<JournalIo> | undefined =
    opts.io ?? (cfg.failpoint === 'fdatasync-eio' ? FAILING_SYNC : cfg.io === 'thread' && cfg.fsync ? startIoThread(cfg.maxBatchBytes + IO_THREAD_HEADROOM, keys) : undefined);
  const writer = await JournalWriter.open({
    dir: cfg.journalDir,
    keys,
    activeKeyId,
    fsync: cfg.fsync,
    maxBatchBytes: cfg.maxBatchBytes,
    maxBatchRecords: cfg.maxBatchRecords,
    maxBatchDelayUs: cfg.maxBatchDelayUs,
    // the failpoint acts on the fdatasync call
    syncMethod: cfg.failpoint !== '' ? 'fdatasync' : cfg.syncMethod,
    segmentBytes: cfg.segmentBytes,
    tail: walk.error === null ? (walk.tail ?? undefined) : undefined,
    onTornTail: (info) => {
      tornTail = true;
      log.warn(info, `journal tail truncated: the last write never completed (it was never acknowledged); the ${info.bytesCut} bytes cut are kept in ${info.savedTo}`);
    },
    onBatch: journalStats.onBatch,
    onFailed: (err) => log.fatal({ err }, 'journal writer failed'),
    io,
  }).catch(async (err: unknown) => {
    await io?.close?.().catch(() => {});
    throw err;
  });
  if (snapshotSeq > writer.lastSeq) {
    await writer.close().catch(() => {});
    throw new Error(
      `snapshot at seq ${snapshotSeq} is ahead of the journal (last seq ${writer.lastSeq}): journal segments are missing; restore them or remove the snapshots to start from the journal alone`,
    );
  }
  if (walk.error !== null) {
    // What stopped the replay may be what the writer's open has just repaired: a newest segment
    // whose header never made it hides a torn tail in the segment before it (possible with fsync
    // off only). Replay the rest; real damage stops the start here, as it stopped the replay.
    const from = replayedTo + 1;
    const rest = replayedTo < writer.lastSeq ? await replay(from, writer.lastSeq).catch(async (err: unknown) => {
      await writer.close().catch(() => {});
      throw err;
    }) : null;
    releaseDecodeBuffers();
    if (rest !== null && rest.error !== null) {
      await writer.close().catch(() => {});
      throw rest.error;
    }
    if (rest !== null && verifyChain) {
      await checkInline(from, writer.lastSeq).catch(async (err: unknown) => {
        await writer.close().catch(() => {});
        throw err;
      });
    }
  }
  if (replayedTo !== writer.lastSeq) {
    await writer.close().catch(() => {});
    throw new Error(`replay ended at seq ${replayedTo}, the journal ends at ${writer.lastSeq}`);
  }

  const stats: RecoveryStats = {
    totalMs: performance.now() - t0,
    snapshotSeq,
    snapshotFormat: header?.v ?? 0,
    snapshotOrders,
    snapshotEvents,
    snapshotMs,
    replayedRecords: replayed,
    replayMs,
    lastSeq: writer.lastSeq,
    orders: book.store.size,
    anomalies,
    tornTail,
    chainVerified: verifyChain,
    chainBreaks,
  };
  const svc = new DurableOrders<S>({
    cfg,
    log,
    book,
    writer,
    journalStats,
    recovery: stats,
    journalBytesAtOpen,
    kill,
    responder,
    keys,
    outbound: opts.outbound,
    progress: opts.progress,
    venueState: opts.venueSnapshot === undefined ? undefined : () => opts.venueSnapshot!.take(),
  });
  log.info(
    {
      recoveryMs: Math.round(stats.totalMs),
      snapshotSeq,
      snapshotFormat: stats.snapshotFormat,
      snapshotOrders,
      snapshotEvents,
      snapshotMs: Math.round(snapshotMs),
      replayedRecords: replayed,
      replayMs: Math.round(replayMs),
      replayRecordsPerSec: replayMs > 0 ? Math.round((replayed * 1000) / replayMs) : 0,
      lastSeq: writer.lastSeq,
      orders: stats.orders,
      anomalies,
      chainVerified: verifyChain,
      chainBreaks,
      fsync: writer.durableMode,
      keyId: writer.activeKeyId,
    },
    'durable path recovered',
  );
  return svc;
}

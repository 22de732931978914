/**
 * The durable `/orders` path: the order book (domain) bound to the journal.
 *
 * Everything runs on the event-loop thread, which owns the book, the risk engine and the journal
 * writer. A new order goes through idempotency, kill switch, backpressure, contract cross-field
 * rules and pre-trade risk, is inserted into the book and appended to the journal in the same
 * synchronous step (so a concurrent duplicate finds it), and is answered only once the journal
 * record is durable (group commit + fdatasync).
 *
 * Waiting for durability costs no closure per request: the request's context goes into a FIFO
 * of pending answers (parallel arrays), and one handler per journal batch answers every entry
 * whose record is now durable. The same queue holds idempotent replays of orders not yet durable,
 * cancels, and reads of orders whose newest record is not yet durable: nothing is ever answered
 * ahead of the journal.
 *
 * If the journal fails (write or fdatasync error), every record not yet durable is rolled back
 * in the book (newest first) and every pending request is answered with WAL_DURABILITY_FAILED:
 * no false acknowledgement. The writer stays failed; new orders get 500 until a restart
 * re-reads the journal.
 */
import { statfs } from 'node:fs';
import type { Logger } from 'pino';
import type { DurableConfig } from '../config/durable.js';
import type { NewOrder } from '../contract/order.js';
import { checkSemantics } from '../contract/order-request.js';
import { REASONS, type Reason } from '../contract/reasons.js';
import { JournalClosedError, JournalFailedError, type JournalWriter } from '../journal/index.js';
import { verifyJournal, type VerifyResult } from '../journal/verify.js';
import { LatencyHistogram } from '../lib/latency.js';
import { KEY_CONFLICT, type OrderBook } from '../orders/book.js';
import { BINARY_TYPE_OFFSET, encodeEvent, maxEncodedBytes } from '../orders/event-codec.js';
import { cancelDecision, type EventType, type Order, type OrderEvent, type OrderStatus } from '../orders/order.js';
import { backpressure } from './backpressure.js';
import { PendingAnswers } from './pending-answers.js';
import { Snapshotter } from './snapshotter.js';
import { UnackedEvents } from './unacked.js';
import type { JournalProgress } from './progress.js';
import type { OutboundQueue } from '../orders/outbound.js';
import { eventJson } from '../orders/events.js';
import { AnswerKind, DurableCounters, type JournalBatchStats, type DurableResponder, type KillView, type RecoveryStats } from './types.js';

export interface DurableDeps<S> {
  cfg: DurableConfig;
  log: Logger;
  /** the recovered book (its risk engine holds the recovered exposure) */
  book: OrderBook;
  /** the journal writer, opened after recovery at the journal's end */
  writer: JournalWriter;
  /** what the writer reports per batch (its onBatch) */
  journalStats: JournalBatchStats;
  recovery: RecoveryStats;
  /** bytes of journal segments on disk when the writer was opened */
  journalBytesAtOpen: number;
  kill: KillView;
  /** writes the answers (the transport) */
  responder: DurableResponder<S>;
  keys: ReadonlyMap<string, Uint8Array>;
  clock?: { nowMs(): number };
  /** where accepted orders and cancels go to reach a venue (absent: no venue, cancels complete here) */
  outbound?: OutboundQueue;
  /** told how far the journal is durable */
  progress?: JournalProgress;
  /**
   * The execution stage's state for a snapshot (the venue state of the orders it routed that are
   * not in this book), taken synchronously with the snapshot's seq; absent: none.
   */
  venueState?: () => unknown;
}

export class DurableOrders<S> {
  readonly book: OrderBook;
  readonly counters = new DurableCounters();
  /** request start → durable answer of a new order */
  readonly durableAck = new LatencyHistogram();
  readonly journalStats: JournalBatchStats;
  readonly recovery: RecoveryStats;
  /** free space of the journal's file system in percent, -1 until measured */
  diskFreePct = -1;
  /** bytes of journal segments on disk when the writer was opened */
  readonly journalBytesAtOpen: number;

  private readonly writer: JournalWriter;
  private readonly responder: DurableResponder<S>;
  private readonly outbound: OutboundQueue | null;
  private readonly progress: JournalProgress | null;
  private readonly cfg: DurableConfig;
  private readonly log: Logger;
  private readonly kill: KillView;
  /** the journal's HMAC keys (the /v3 journals chain with the same keys) */
  readonly keys: ReadonlyMap<string, Uint8Array>;
  private readonly clock: { nowMs(): number };
  private closing = false;
  private failedHandled = false;

  /** requests waiting for their records to become durable, in journal order */
  private readonly pending = new PendingAnswers<S, AnswerKind>();
  /** new orders appended but not yet durable (the inflight count) */
  inflight = 0;

  /** events journaled but not yet durable (what a journal failure rolls back) */
  private readonly unacked = new UnackedEvents();

  /** promise of the newest batch we appended to (one handler per batch) */
  private watched: Promise<void> | null = null;
  private readonly scratch = Buffer.allocUnsafeSlow(64 * 1024);

  private readonly snapshots: Snapshotter;
  private diskTimer: NodeJS.Timeout | null = null;

  constructor(d: DurableDeps<S>) {
    this.book = d.book;
    this.writer = d.writer;
    this.journalStats = d.journalStats;
    this.recovery = d.recovery;
    this.journalBytesAtOpen = d.journalBytesAtOpen;
    this.responder = d.responder;
    this.outbound = d.outbound ?? null;
    this.progress = d.progress ?? null;
    this.cfg = d.cfg;
    this.log = d.log;
    this.kill = d.kill;
    this.keys = d.keys;
    this.clock = d.clock ?? { nowMs: Date.now };
    this.snapshots = new Snapshotter({ cfg: d.cfg, log: d.log, book: this.book, counters: this.counters, clock: this.clock, venueState: d.venueState ?? null });
    if (this.cfg.diskFreePctMin > 0) {
      this.probeDisk();
      this.diskTimer = setInterval(this.probeDisk, 1000);
      this.diskTimer.unref();
    }
  }

  /** duration of each journal fdatasync */
  get fdatasync(): LatencyHistogram {
    return this.journalStats.fdatasync;
  }

  /** records per journal batch (values are counts, not ns) */
  get batchRecords(): LatencyHistogram {
    return this.journalStats.batchRecords;
  }

  get journal(): JournalWriter {
    return this.writer;
  }

  /** False when fsync is off (benchmarks): acknowledgements then say `"durable":false`. */
  get fsyncOn(): boolean {
    return this.writer.durableMode === 'fdatasync';
  }

  get journalFailed(): boolean {
    return this.writer.failed;
  }

  // ---- new orders --------------------------------------------------------------------------

  /**
   * Submits a new order under idempotency key `key`. Returns null when the answer will come
   * (or came) through the responder, else the reject reason (nothing changed).
   */
  submit(accountId: string, key: string, request: NewOrder, sink: S, t0: number): Reason | null {
    // Answer what has become durable first (an I/O thread's finished write, see io-thread.ts).
    this.writer.poll();
    const book = this.book;
    const now = this.clock.nowMs();
    const hit = book.lookup(accountId, key, request, now);
    if (hit !== null) {
      if (hit === KEY_CONFLICT) return this.reject('IDEMPOTENCY_KEY_REUSED');
      this.whenDurable(AnswerKind.Replay, sink, hit, hit.acceptRecordSeq, t0);
      return null;
    }
    const killed = this.kill.blockedAccount(accountId);
    if (killed !== null) return this.reject(killed);
    const w = this.writer;
    if (w.failed) return this.reject('WAL_DURABILITY_FAILED');
    if (this.closing) return this.reject('SERVER_SHUTDOWN');
    const bp = backpressure(this.cfg, this.inflight, w.pendingBytes, w.oldestPendingAgeMs, this.diskFreePct);
    if (bp !== null) {
      this.counters.countBackpressure(bp);
      return this.reject(bp);
    }

    const semantic = checkSemantics(request, now);
    if (semantic !== null) return this.reject(semantic);
    const risk = book.risk;
    const reason = risk.evaluate(risk.account(accountId, now), request, now);
    if (reason !== null) return this.reject(reason);
    if (request.clientOrderId !== null && book.openWithClientOrderId(accountId, request.clientOrderId) !== undefined) {
      return this.reject('DUPLICATE_CLIENT_ORDER_ID');
    }

    // Orders are kept: share the symbol master's string instead of one copy per order.
    const sym = risk.symbol(request.symbol);
    if (sym !== undefined) request.symbol = sym.symbol;
    const ev = book.accept(accountId, key, request, book.clock(now));
    let seq: number;
    try {
      seq = this.append(ev);
    } catch (err) {
      book.rollback(ev);
      return this.reject(this.appendFailure(err));
    }
    this.counters.accepted++;
    this.inflight++;
    this.enqueue(AnswerKind.Accepted, sink, ev.order, seq, t0);
    this.outbound?.durable.push({ order: ev.order, seq, t0 });
    return null;
  }

  private reject(r: Reason): Reason {
    this.counters.rejected++;
    this.counters.byReason[reasonIndex(r)]++;
    return r;
  }

  // ---- cancels and reads -------------------------------------------------------------------

  /**
   * Cancels the account's order. Returns 'ORDER_NOT_FOUND' (also for another account's order),
   * another reason when the journal cannot take it, or null when the responder answers:
   * Cancel once the cancel is durable (no venue is attached, so the gateway completes it:
   * CANCEL_REQUESTED then CANCELED, and the exposure is released), CancelFinal for a terminal
   * order. A cancel of an order whose cancel is already pending is answered like the first.
   * Never blocked by the kill switch or backpressure.
   */
  cancel(accountId: string, orderId: string, sink: S, t0: number): Reason | null {
    this.writer.poll();
    const book = this.book;
    const o = book.getFor(accountId, orderId);
    if (o === undefined) return 'ORDER_NOT_FOUND';
    const decision = cancelDecision(o.status);
    if (decision === 'final') {
      this.whenDurable(AnswerKind.CancelFinal, sink, o, o.lastSeq, t0);
      return null;
    }
    if (decision === 'pending') {
      this.whenDurable(AnswerKind.Cancel, sink, o, o.lastSeq, t0);
      return null;
    }
    const w = this.writer;
    if (w.failed) return 'WAL_DURABILITY_FAILED';
    if (this.closing) return 'SERVER_SHUTDOWN';
    const at = book.clock(this.clock.nowMs());
    const out = this.outbound;
    if (out !== null) {
      // The order is (or will be) at a venue: the cancel goes there once journaled, and the
      // order is CANCELED when the venue confirms (execution/).
      const requested = book.requestCancel(o, at);
      let seq: number;
      try {
        seq = this.append(requested);
      } catch (err) {
        book.rollback(requested);
        return this.appendFailure(err);
      }
      this.counters.cancels++;
      this.enqueue(AnswerKind.Cancel, sink, o, seq, t0);
      out.cancels.push({ order: o, orderNo: 0, accountId, seq });
      return null;
    }
    // No venue is attached: the gateway completes the cancel itself (and releases the exposure).
    const requested = book.requestCancel(o, at);
    const done = book.update(o, 'CANCELED', o.filledQty, 'CLIENT_CANCEL', at) as OrderEvent;
    let seq: number;
    try {
      this.append(requested);
      seq = this.append(done);
    } catch (err) {
      // Undo what was not journaled (newest first). A writer fails asynchronously, so in
      // practice either both records are appended or neither.
      if (done.seq === 0) book.rollback(done);
      if (requested.seq === 0) book.rollback(requested);
      return this.appendFailure(err);
    }
    this.counters.cancels++;
    this.enqueue(AnswerKind.Cancel, sink, o, seq, t0);
    return null;
  }

  // ---- venue events (execution/) -------------------------------------------------------------

  /**
   * Journals a venue event of one of this book's orders and applies it (book.venueEvent). Returns
   * the record's seq, or why it was not (the state machine refused it, or the journal cannot
   * take it: nothing changed then).
   */
  venueEvent(o: Order, type: EventType, at: number, status: OrderStatus | null, filledQty: number, reason: string | null, data: string): number | string {
    const w = this.writer;
    if (w.failed) return 'WAL_DURABILITY_FAILED';
    const ev = this.book.venueEvent(o, type, this.book.clock(at), status, filledQty, reason, data);
    if (typeof ev === 'string') return ev;
    try {
      return this.appendJson(ev.type, eventJson(ev), ev);
    } catch (err) {
      this.book.rollback(ev);
      return this.appendFailure(err);
    }
  }

  /**
   * Journals a venue record of orders this book does not hold (/v3 and binary TCP orders): a
   * bus-event JSON record of `type`, or a binary routing record (ROUTED_RECORD_TYPE). Returns its
   * seq, or why it could not be journaled.
   */
  appendVenueRecord(type: number, payload: string | Buffer, at: number): number | string {
    const w = this.writer;
    if (w.failed) return 'WAL_DURABILITY_FAILED';
    try {
      return this.appendJson(type, payload, null, at);
    } catch (err) {
      return this.appendFailure(err);
    }
  }

  /** Answers a read of `o` (Read) once every record about it is durable. */
  read(o: Order, sink: S, t0: number): void {
    this.whenDurable(AnswerKind.Read, sink, o, o.lastSeq, t0);
  }

  /** Seq of the last durable journal record (what reads may show). */
  get durableSeq(): number {
    return this.writer.lastDurableSeq;
  }

  // ---- audit -------------------------------------------------------------------------------

  /**
   * Verifies the journal's chain from `fromSeq` (at most `limit` records, never past the last
   * durable record). Reads in small chunks, so the event loop is never held for long.
   */
  verify(fromSeq: number, limit: number): Promise<VerifyResult> {
    const w = this.journal;
    const until = w.lastDurableSeq;
    if (until === 0 || fromSeq > until) return Promise.resolve({ ok: true, checked: 0, lastSeq: 0, error: null });
    return verifyJournal(this.cfg.journalDir, this.keys, { fromSeq, limit, untilSeq: until, chunkBytes: 256 * 1024 });
  }

  // ---- journal plumbing --------------------------------------------------------------------

  /** Appends an event's record; sets and returns its seq. Throws what the writer throws. */
  private append(ev: OrderEvent): number {
    const w = this.writer;
    const need = maxEncodedBytes(ev);
    const buf = need <= this.scratch.length ? this.scratch : Buffer.allocUnsafe(need);
    const n = encodeEvent(ev, buf);
    const { seq, durable } = w.append(ev.type + BINARY_TYPE_OFFSET, buf.subarray(0, n), ev.at);
    ev.seq = seq;
    this.unacked.push(ev);
    this.watch(w, durable);
    return seq;
  }

  /** Appends a venue record: the JSON bus-event form (venue events), or a binary routing record. */
  private appendJson(type: number, payload: string | Buffer, ev: OrderEvent | null, at = ev?.at ?? 0): number {
    const w = this.writer;
    const { seq, durable } = w.append(type, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, at);
    if (ev !== null) {
      ev.seq = seq;
      this.unacked.push(ev);
    }
    this.watch(w, durable);
    return seq;
  }

  /** One durability handler per journal batch; every record counts towards the snapshot cadence. */
  private watch(w: JournalWriter, durable: Promise<void>): void {
    if (durable !== this.watched) {
      this.watched = durable;
      durable.then(this.onDurable, this.onJournalFailure);
    }
    this.snapshots.count(w);
  }

  /**
   * Writes a snapshot of the book as of the current journal head (SNAPSHOT_EVERY_RECORDS takes
   * them on a cadence; snapshotter.ts).
   */
  snapshot(): Promise<void> {
    return this.snapshots.take(this.writer);
  }

  private appendFailure(err: unknown): Reason {
    if (err instanceof JournalClosedError) return 'SERVER_SHUTDOWN';
    if (!(err instanceof JournalFailedError)) this.log.error({ err }, 'journal append failed');
    return 'WAL_DURABILITY_FAILED';
  }

  private whenDurable(kind: AnswerKind, sink: S, o: Order, seq: number, t0: number): void {
    if (seq <= this.writer.lastDurableSeq) this.responder.answer(kind, sink, o, t0);
    else if (this.writer.failed) this.responder.fail(kind, sink, o, t0, 'WAL_DURABILITY_FAILED');
    else this.enqueue(kind, sink, o, seq, t0);
  }

  private enqueue(kind: AnswerKind, sink: S, o: Order, seq: number, t0: number): void {
    this.pending.push(kind, sink, o, seq, t0);
  }

  /** A batch is durable: answer every pending request whose record is now on disk. */
  private readonly onDurable = (): void => {
    const d = this.writer.lastDurableSeq;
    this.unacked.settle(d);

    const r = this.responder;
    const now = performance.now();
    this.progress?.advance(d);
    const q = this.pending;
    while (q.peekSeq() <= d) {
      q.shift();
      const kind = q.kind;
      const sink = q.sink;
      const o = q.order;
      const t0 = q.t0;
      if (kind === AnswerKind.Accepted) {
        this.inflight--;
        this.durableAck.since(t0, now);
      }
      try {
        r.answer(kind, sink, o, t0);
      } catch (err) {
        this.log.error({ err }, 'answering a durable request failed');
      }
    }
  };

  /**
   * The journal failed: roll the book back to the durable head (newest first) and answer every
   * pending request with WAL_DURABILITY_FAILED (reads of orders that still exist are answered
   * from the rolled-back state).
   */
  private readonly onJournalFailure = (err: unknown): void => {
    if (this.failedHandled) return;
    this.failedHandled = true;
    const d = this.writer.lastDurableSeq;
    this.log.fatal({ err, durableSeq: d }, 'journal failed: records not yet durable are rolled back and their requests answered 500 WAL_DURABILITY_FAILED; restart the gateway to resume the durable path');
    const rolledBack = this.unacked.rollBackAbove(d, this.undo);
    const r = this.responder;
    const q = this.pending;
    while (q.size > 0) {
      q.shift();
      const kind = q.kind;
      const sink = q.sink;
      const o = q.order;
      if (kind === AnswerKind.Accepted) this.inflight--;
      this.counters.durabilityFailures++;
      try {
        if (kind === AnswerKind.Read && !o.rolledBack) r.answer(kind, sink, o, q.t0);
        else r.fail(kind, sink, o, q.t0, 'WAL_DURABILITY_FAILED');
      } catch (e) {
        this.log.error({ err: e }, 'answering a failed request failed');
      }
    }
    this.log.error({ rolledBack }, 'book rolled back to the durable head');
  };

  private readonly undo = (ev: OrderEvent): void => this.book.rollback(ev);

  // ---- lifecycle ---------------------------------------------------------------------------

  private readonly probeDisk = (): void => {
    statfs(this.cfg.journalDir, (err, s) => {
      if (err !== null || s.blocks === 0) return;
      this.diskFreePct = (s.bavail / s.blocks) * 100;
    });
  };

  /**
   * Refuses new orders and cancels, waits for a snapshot in progress, then closes the journal
   * (which syncs whatever is pending; those requests are answered as usual).
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.diskTimer !== null) clearInterval(this.diskTimer);
    await this.snapshots.running;
    try {
      await this.writer.close();
    } catch (err) {
      this.log.error({ err }, 'journal close failed');
    }
  }
}

function reasonIndex(r: Reason): number {
  return REASONS[r] & 0xff;
}

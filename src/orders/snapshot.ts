/**
 * Snapshot codec of the order book (pure; the journal's snapshot files carry the bytes).
 *
 * A snapshot at journal seq S holds the STATE as of S, not the history: the orders a restarted
 * gateway must still hold, the risk state their replay does not give back, the counters, and an
 * opaque section of the execution stage (the venue state of the /v3 and binary TCP orders it
 * routed). Recovery loads it and replays the journal from S + 1 only: records before S are never
 * read, so restart time and the snapshot's size follow the state (open orders, retained terminal
 * orders, accounts), not the length of the journal.
 *
 * Orders kept (format 2):
 *  - every order not terminal as of S, with all its events (a working order has a handful);
 *  - a terminal order while its last update is within `retention.terminalMs` of the snapshot
 *    time (SNAPSHOT_RETAIN_TERMINAL_SEC), or while its idempotency key is still live
 *    (IDEMPOTENCY_TTL_SEC: a replay of the key must get the original answer).
 * Older terminal orders are left out: they stay in the journal (the audit log), and a restarted
 * gateway answers 404 for them.
 *
 * Each kept order's events are loaded through the same code as a journal replay
 * (OrderBook.applyDecoded), which rebuilds its status, fills, idempotency key, event list and
 * open exposure. Filled positions and the day's notional cannot come from the kept orders (the
 * orders that made them may be gone): they are carried per account and set after the orders.
 *
 * Layout: UTF-8 text, newline-separated JSON values.
 *   line 1     {"v":2,"seq":S,"lastAcceptSeq":N,"lastAt":T,"takenAt":ms,"retainTerminalMs":R,"keyTtlMs":K}
 *   line 2     {"accounts":[[accountId, day, dailyNotional, [[symbol, net], ...]], ...]}
 *   line 3     {"venue":<the execution stage's state, or null>}
 *   lines 4..  arrays of events of the kept orders, in journal order, each event an array:
 *     OrderAccepted    [seq, 1, at, orderId, accountId, acceptSeq, idempotencyKey, symbol, side, type, qty, price, timeInForce, expireAt, clientOrderId|null]
 *     CancelRequested  [seq, 2, at, orderId]
 *     OrderUpdated     [seq, 3, at, orderId, status, filledQty, reason|null]
 *     venue events     [seq, 4|5|6, at, orderId, status|null, filledQty, reason|null, data]
 *   last line  {"end":{"orders":K,"events":E}}
 *
 * Format 1 (every event up to S, no account or venue section; header
 * {"v":1,"seq","lastAcceptSeq","lastAt","events"}) is still read.
 *
 * Consistency without stopping the world: the cursor fixes the first E events of the book's
 * event log, the accounts and the venue state when it is created (synchronously with S), and an
 * event never changes once journaled, so the lines can be produced a chunk at a time while
 * orders keep flowing. Whether an order was terminal as of S is read from its newest event's
 * seq (an order terminal at S takes no event after it).
 */
import type { OrdType, Side, TimeInForce } from '../contract/order.js';
import type { ApplyResult, OrderBook } from './book.js';
import type { DecodedEvent } from './events.js';
import type { AccountState } from '../risk/engine.js';
import { EventType, isOrderStatus, isTerminal, type Order, type OrderEvent } from './order.js';

export const SNAPSHOT_FORMAT_VERSION = 2;

export interface SnapshotHeader {
  v: number;
  /** last journal seq reflected */
  seq: number;
  lastAcceptSeq: number;
  lastAt: number;
  /** format 1: events that follow */
  events?: number;
  /** format 2: wall-clock time the snapshot was taken (what retention was measured from) */
  takenAt?: number;
  /** format 2: terminal order retention in ms (-1: every order kept) */
  retainTerminalMs?: number;
  /** format 2: idempotency key lifetime in ms (0: keys never expire) */
  keyTtlMs?: number;
}

/** Which terminal orders a snapshot keeps. */
export interface SnapshotRetention {
  /** a terminal order is kept this long after its last update (Infinity: always) */
  terminalMs: number;
  /** idempotency key lifetime from acceptance (0: never expires: the order is kept) */
  keyTtlMs: number;
}

export interface SnapshotState {
  /** wall clock when the snapshot is taken */
  nowMs: number;
  retention: SnapshotRetention;
  /** risk state per account (RiskEngine.accountStates()) */
  accounts: AccountState[];
  /** the execution stage's own state (JSON-serialisable), or null */
  venue: unknown;
}

/** Keeps every order: what a snapshot without a retention policy holds. */
export const KEEP_ALL: SnapshotRetention = { terminalMs: Number.POSITIVE_INFINITY, keyTtlMs: 0 };

/**
 * Whether a snapshot at seq `seq` taken at `nowMs` keeps `o`: not terminal as of `seq`, or
 * terminal within the retention window, or its idempotency key still live.
 */
export function keepsOrder(o: Order, seq: number, nowMs: number, r: SnapshotRetention): boolean {
  if (!isTerminal(o.status)) return true;
  const last = o.lastEvent;
  // Terminal now, but through an event after S: it was working at S.
  if (last === undefined || last.seq === 0 || last.seq > seq) return true;
  if (nowMs - last.at <= r.terminalMs) return true;
  if (o.keyExpired) return false;
  return r.keyTtlMs === 0 || nowMs - o.acceptedAt <= r.keyTtlMs;
}

function encode(e: OrderEvent): string {
  const o = e.order;
  switch (e.type) {
    case EventType.OrderAccepted: {
      const r = o.request;
      return (
        '[' + e.seq + ',1,' + e.at + ',' + JSON.stringify(o.orderId) + ',' + JSON.stringify(o.accountId) + ',' + o.acceptSeq + ',' +
        JSON.stringify(o.idempotencyKey) + ',' + JSON.stringify(r.symbol) + ',' + r.side + ',' + r.type + ',' + r.qty + ',' + r.price + ',' +
        r.timeInForce + ',' + r.expireAt + ',' + (r.clientOrderId === null ? 'null' : JSON.stringify(r.clientOrderId)) + ']'
      );
    }
    case EventType.CancelRequested:
      return '[' + e.seq + ',2,' + e.at + ',' + JSON.stringify(o.orderId) + ']';
    case EventType.OrderSent:
    case EventType.CancelSent:
    case EventType.ExecutionReport:
      return (
        '[' + e.seq + ',' + e.type + ',' + e.at + ',' + JSON.stringify(o.orderId) + ',' + (e.status === null ? 'null' : '"' + e.status + '"') + ',' +
        e.filledQty + ',' + (e.reason === null ? 'null' : JSON.stringify(e.reason)) + ',' + JSON.stringify(e.data) + ']'
      );
    default:
      return '[' + e.seq + ',3,' + e.at + ',' + JSON.stringify(o.orderId) + ',"' + e.status + '",' + e.filledQty + ',' + (e.reason === null ? 'null' : JSON.stringify(e.reason)) + ']';
  }
}

/** Produces a snapshot of `book` as of journal seq `seq`, one chunk (line) at a time. */
export class SnapshotCursor {
  readonly header: SnapshotHeader;
  /** orders and events written so far */
  orders = 0;
  events = 0;
  /** log entries left out (orders not kept) */
  skipped = 0;
  private pos = 0;
  private readonly end: number;
  private step = 0;
  private readonly retention: SnapshotRetention;
  private readonly accounts: string;
  private readonly venue: string;
  private readonly nowMs: number;

  constructor(
    private readonly book: OrderBook,
    seq: number,
    state: SnapshotState = { nowMs: 0, retention: KEEP_ALL, accounts: book.risk.accountStates(), venue: null },
  ) {
    this.end = book.log.length;
    this.retention = state.retention;
    this.nowMs = state.nowMs;
    const rt = state.retention.terminalMs;
    this.header = {
      v: SNAPSHOT_FORMAT_VERSION,
      seq,
      lastAcceptSeq: book.lastAcceptSeq,
      lastAt: book.lastEventAt,
      takenAt: state.nowMs,
      retainTerminalMs: Number.isFinite(rt) ? rt : -1,
      keyTtlMs: state.retention.keyTtlMs,
    };
    // Taken now, with S: they change as soon as the event loop moves on.
    this.accounts = JSON.stringify({ accounts: state.accounts.map((a) => [a.accountId, a.day, a.dailyNotional, a.nets]) });
    this.venue = JSON.stringify({ venue: state.venue ?? null });
  }

  get done(): boolean {
    return this.step > 3;
  }

  /**
   * The next line (with its newline): the header, the accounts, the venue state, then the
   * events of kept orders among the next `maxEvents` entries of the log, then the end line.
   */
  next(maxEvents: number): string {
    switch (this.step) {
      case 0:
        this.step = 1;
        return JSON.stringify(this.header) + '\n';
      case 1:
        this.step = 2;
        return this.accounts + '\n';
      case 2:
        this.step = 3;
        return this.venue + '\n';
      case 3:
        break;
      default:
        return '';
    }
    const log = this.book.log;
    // (The log only shrinks when a journal failure rolls records back; callers abandon the
    // snapshot then, but never read past the end.)
    const limit = Math.min(this.end, log.length);
    const stop = Math.min(limit, this.pos + maxEvents);
    const seq = this.header.seq;
    let s = '';
    for (let i = this.pos; i < stop; i++) {
      const e = log[i]!;
      if (!keepsOrder(e.order, seq, this.nowMs, this.retention)) {
        this.skipped++;
        continue;
      }
      s += s === '' ? '[' : ',';
      s += encode(e);
      this.events++;
      if (e.type === EventType.OrderAccepted) this.orders++;
    }
    this.pos = stop;
    if (stop >= limit) {
      this.step = 4;
      return (s === '' ? '' : s + ']\n') + JSON.stringify({ end: { orders: this.orders, events: this.events } }) + '\n';
    }
    return s === '' ? '' : s + ']\n';
  }
}

export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

export interface SnapshotLoadResult {
  header: SnapshotHeader;
  /** orders and events loaded */
  orders: number;
  events: number;
  anomalies: string[];
  /** the execution stage's state (format 2), or null */
  venue: unknown;
  /** false for a format-1 snapshot, which holds no venue state */
  hasVenueState: boolean;
}

function decode(a: unknown[]): DecodedEvent {
  const type = a[1] as number;
  const base = { type: type as EventType, at: a[2] as number, accountId: '', orderId: a[3] as string };
  if (typeof base.orderId !== 'string' || !Number.isSafeInteger(base.at)) throw new SnapshotFormatError('bad event');
  switch (type) {
    case EventType.OrderAccepted:
      if (a.length !== 15) throw new SnapshotFormatError('bad OrderAccepted entry');
      return {
        ...base,
        accountId: a[4] as string,
        acceptSeq: a[5] as number,
        idempotencyKey: a[6] as string,
        request: {
          symbol: a[7] as string,
          side: a[8] as Side,
          type: a[9] as OrdType,
          qty: a[10] as number,
          price: a[11] as number,
          timeInForce: a[12] as TimeInForce,
          expireAt: a[13] as number,
          clientOrderId: a[14] as string | null,
        },
      };
    case EventType.CancelRequested:
      return base;
    case EventType.OrderUpdated:
      if (!isOrderStatus(a[4]) || !Number.isSafeInteger(a[5])) throw new SnapshotFormatError('bad OrderUpdated entry');
      return { ...base, status: a[4], filledQty: a[5] as number, reason: (a[6] as string | null) ?? null };
    case EventType.OrderSent:
    case EventType.CancelSent:
    case EventType.ExecutionReport:
      if (a.length !== 8 || typeof a[7] !== 'string' || !Number.isSafeInteger(a[5])) throw new SnapshotFormatError('bad venue event entry');
      if (type === EventType.ExecutionReport && !isOrderStatus(a[4])) throw new SnapshotFormatError('bad ExecutionReport entry');
      return { ...base, status: isOrderStatus(a[4]) ? a[4] : undefined, filledQty: a[5] as number, reason: (a[6] as string | null) ?? null, data: a[7] };
    default:
      throw new SnapshotFormatError(`unknown event type ${String(type)}`);
  }
}

/** The header of a snapshot's bytes (to size the book before loading it). */
export function snapshotHeader(bytes: Buffer): SnapshotHeader {
  const nl = bytes.indexOf(10);
  if (nl < 0) throw new SnapshotFormatError('no header line');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, nl)) as SnapshotHeader;
  } catch {
    throw new SnapshotFormatError('header is not JSON');
  }
  if (header === null || typeof header !== 'object' || (header.v !== 1 && header.v !== SNAPSHOT_FORMAT_VERSION)) {
    throw new SnapshotFormatError(`unsupported snapshot version ${String((header as SnapshotHeader | null)?.v)}`);
  }
  if (!Number.isSafeInteger(header.seq) || !Number.isSafeInteger(header.lastAcceptSeq)) throw new SnapshotFormatError('bad header');
  return header;
}

interface EndLine {
  orders?: unknown;
  events?: unknown;
}

function isAccountEntry(a: unknown): a is [string, number, number, Array<[string, number]>] {
  return (
    Array.isArray(a) && a.length === 4 && typeof a[0] === 'string' && typeof a[1] === 'number' && typeof a[2] === 'number' && Array.isArray(a[3]) &&
    (a[3] as unknown[]).every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && Number.isFinite(x[1]))
  );
}

/**
 * Loads a snapshot (format 1 or 2) into an empty book: its orders, then (format 2) the
 * accounts' positions and day notional, then the counters. Throws SnapshotFormatError when the
 * bytes are not a snapshot of a known format (the file's CRC passed, so this means another
 * format or a bug).
 */
export function loadSnapshot(book: OrderBook, bytes: Buffer, nowMs: number): SnapshotLoadResult {
  const header = snapshotHeader(bytes);
  const v2 = header.v === 2;
  const anomalies: string[] = [];
  let events = 0;
  let orders = 0;
  let accounts: unknown[] | null = null;
  let venue: unknown = null;
  let end = null as EndLine | null;
  let start = bytes.indexOf(10) + 1;
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    const stop = nl < 0 ? bytes.length : nl;
    if (stop > start) {
      let line: unknown;
      try {
        line = JSON.parse(bytes.toString('utf8', start, stop));
      } catch {
        throw new SnapshotFormatError(`line at byte ${start} is not JSON`);
      }
      if (Array.isArray(line)) {
        if (end !== null) throw new SnapshotFormatError('events after the end line');
        for (const a of line as unknown[][]) {
          if (!Array.isArray(a)) throw new SnapshotFormatError('bad event');
          const r: ApplyResult = book.applyDecoded(a[0] as number, decode(a), nowMs);
          if (typeof r === 'object') anomalies.push(r.anomaly);
          else if (a[1] === EventType.OrderAccepted) orders++;
          events++;
        }
      } else if (v2 && line !== null && typeof line === 'object') {
        const o = line as Record<string, unknown>;
        if ('accounts' in o) {
          if (!Array.isArray(o.accounts)) throw new SnapshotFormatError('bad accounts line');
          accounts = o.accounts;
        } else if ('venue' in o) venue = o.venue;
        else if ('end' in o && o.end !== null && typeof o.end === 'object') end = o.end as EndLine;
        else throw new SnapshotFormatError(`unknown line at byte ${start}`);
      } else throw new SnapshotFormatError(`line at byte ${start} is not an event list`);
    }
    nl = stop;
    start = nl + 1;
  }
  if (v2) {
    if (end === null) throw new SnapshotFormatError('no end line (truncated?)');
    if (end.events !== events) throw new SnapshotFormatError(`end line announces ${String(end.events)} events, found ${events}`);
    if (accounts === null) throw new SnapshotFormatError('no accounts line');
    for (const a of accounts) {
      if (!isAccountEntry(a)) throw new SnapshotFormatError('bad account entry');
      book.risk.restoreAccountState({ accountId: a[0], day: a[1], dailyNotional: a[2], nets: a[3] }, nowMs);
    }
  } else if (events !== header.events) throw new SnapshotFormatError(`header announces ${header.events} events, found ${events}`);
  book.restoreCounters(header.lastAcceptSeq, header.lastAt);
  return { header, orders, events, anomalies, venue, hasVenueState: v2 };
}

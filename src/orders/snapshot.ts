/**
 * Snapshot codec of the order book (pure; the journal's snapshot files carry the bytes).
 *
 * A snapshot at journal seq S holds every order-lifecycle event with seq <= S, in journal order,
 * in a compact positional form; loading it applies them through the same code as a journal
 * replay (OrderBook.applyDecoded), so both routes give the same state: orders, statuses,
 * idempotency keys, event lists, exposure and counters. Recovery then replays the journal from
 * S + 1. A snapshot is smaller and parses faster than the records it replaces (no framing, no
 * chain, no key names), and no HMAC is computed.
 *
 * Layout: UTF-8 text, newline-separated JSON values.
 *   line 1     {"v":1,"seq":S,"lastAcceptSeq":N,"lastAt":T,"events":E}
 *   lines 2..  arrays of events, each event an array:
 *     OrderAccepted    [seq, 1, at, orderId, accountId, acceptSeq, idempotencyKey, symbol, side, type, qty, price, timeInForce, expireAt, clientOrderId|null]
 *     CancelRequested  [seq, 2, at, orderId]
 *     OrderUpdated     [seq, 3, at, orderId, status, filledQty, reason|null]
 *     venue events     [seq, 4|5|6, at, orderId, status|null, filledQty, reason|null, data]
 *
 * Consistency without stopping the world: the cursor fixes the first E events of the book's
 * event log when it is created (the log only grows at the end, and an event never changes once
 * journaled), so the lines can be produced a chunk at a time while orders keep flowing.
 */
import type { OrdType, Side, TimeInForce } from '../contract/order.js';
import type { ApplyResult, OrderBook } from './book.js';
import type { DecodedEvent } from './events.js';
import { EventType, isOrderStatus, type OrderEvent } from './order.js';

export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotHeader {
  v: number;
  /** last journal seq reflected */
  seq: number;
  lastAcceptSeq: number;
  lastAt: number;
  /** events that follow */
  events: number;
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
  private pos = 0;
  private readonly end: number;
  private headerDone = false;

  constructor(
    private readonly book: OrderBook,
    seq: number,
  ) {
    this.end = book.log.length;
    this.header = { v: SNAPSHOT_FORMAT_VERSION, seq, lastAcceptSeq: book.lastAcceptSeq, lastAt: book.lastEventAt, events: this.end };
  }

  get done(): boolean {
    return this.headerDone && (this.pos >= this.end || this.pos >= this.book.log.length);
  }

  /** The next line (with its newline): the header first, then up to `maxEvents` events. */
  next(maxEvents: number): string {
    if (!this.headerDone) {
      this.headerDone = true;
      return JSON.stringify(this.header) + '\n';
    }
    const log = this.book.log;
    // (The log only shrinks when a journal failure rolls records back; callers abandon the
    // snapshot then, but never read past the end.)
    const stop = Math.min(this.end, this.pos + maxEvents, log.length);
    let s = '[';
    for (let i = this.pos; i < stop; i++) {
      if (i > this.pos) s += ',';
      s += encode(log[i]!);
    }
    this.pos = stop;
    return s + ']\n';
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
  events: number;
  anomalies: string[];
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

/**
 * Loads a snapshot into an empty book. Throws SnapshotFormatError when the bytes are not a
 * snapshot of this version (the file's CRC passed, so this means another format).
 */
export function loadSnapshot(book: OrderBook, bytes: Buffer, nowMs: number): SnapshotLoadResult {
  let nl = bytes.indexOf(10);
  if (nl < 0) throw new SnapshotFormatError('no header line');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, nl)) as SnapshotHeader;
  } catch {
    throw new SnapshotFormatError('header is not JSON');
  }
  if (header.v !== SNAPSHOT_FORMAT_VERSION) throw new SnapshotFormatError(`unsupported snapshot version ${String(header.v)}`);
  const anomalies: string[] = [];
  let events = 0;
  let start = nl + 1;
  while (start < bytes.length) {
    nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    if (end > start) {
      let chunk: unknown[][];
      try {
        chunk = JSON.parse(bytes.toString('utf8', start, end)) as unknown[][];
      } catch {
        throw new SnapshotFormatError(`line at byte ${start} is not JSON`);
      }
      for (const a of chunk) {
        const r: ApplyResult = book.applyDecoded(a[0] as number, decode(a), nowMs);
        if (typeof r === 'object') anomalies.push(r.anomaly);
        events++;
      }
    }
    start = end + 1;
  }
  if (events !== header.events) throw new SnapshotFormatError(`header announces ${header.events} events, found ${events}`);
  book.restoreCounters(header.lastAcceptSeq, header.lastAt);
  return { header, events, anomalies };
}

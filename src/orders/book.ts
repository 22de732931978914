/**
 * The durable path's order book: every order with its lifecycle events, the per-account
 * idempotency index, the event lists, and the exposure each open order holds in the risk engine.
 *
 * Pure domain code (no I/O; the caller passes the clock and the order ids). The same functions
 * serve the live path and recovery:
 *  - live: `accept` / `requestCancel` / `update` mutate the book synchronously and return the
 *    event to journal; the caller appends it and sets `event.seq`. If the record never becomes
 *    durable, `rollback` undoes the events newest first.
 *  - recovery: `applyRecord` decodes a journal record and applies it through the same functions.
 *
 * Exposure: an accepted order books its exposure in the risk engine; a terminal update (cancel,
 * expiry, venue reject, fill) releases what remains. Releasing before the cancel's record is
 * durable is safe: whatever uses the released exposure is a later record, acknowledged only once
 * it (and so the cancel before it) is on disk.
 */
import type { NewOrder } from '../contract/order.js';
import type { RiskEngine } from '../risk/engine.js';
import { AccountEvents } from './event-index.js';
import { type DecodedEvent, decodeEvent, decodeEventBytes, EventDecodeError, MAX_ORDER_RECORD_TYPE } from './events.js';
import { BINARY_TYPE_OFFSET, decodeBinaryEvent } from './event-codec.js';
import { IdempotencyIndex } from './idempotency.js';
import {
  cancelDecision,
  checkUpdate,
  EVENT_TYPE_NAMES,
  EventType,
  isTerminal,
  Order,
  type OrderEvent,
  orderEvent,
  type OrderStatus,
  sameRequest,
} from './order.js';
import { OrderStore, seqOfOrderId } from './store.js';

export interface OrderBookOptions {
  /** idempotency key lifetime in ms; 0 = never expires */
  idempotencyTtlMs: number;
  /**
   * Order ids are `<prefix><acceptSeq>`; the prefix must end with `_` and should differ between
   * journals (default "ord_<base-36 ms now>_"), so that an id is never reused even if the data
   * directory is.
   */
  orderIdPrefix?: string;
  /** Orders expected (recovery: estimated from the journal's size); sizes the indexes up front. */
  expectedOrders?: number;
}

/** Result of an idempotency lookup that found the key with a different request. */
export const KEY_CONFLICT = 'conflict' as const;

/** What applying one journal record did (recovery). */
export type ApplyResult = 'applied' | 'ignored' | { anomaly: string };

export class OrderBook {
  readonly store: OrderStore;
  readonly idem: IdempotencyIndex;
  readonly events = new AccountEvents();
  /** Every event, in journal order (what a snapshot walks). */
  readonly log: OrderEvent[] = [];
  private acceptSeqCounter = 0;
  private lastAt = 0;

  // Idempotency counters (the original's gateway_idempotency_* metrics).
  checked = 0;
  hits = 0;
  creates = 0;
  conflicts = 0;

  private readonly idPrefix: string;
  /** id prefixes of recovered orders (one per gateway run), shared by their orders */
  private readonly prefixes = new Map<string, string>();

  constructor(
    readonly risk: RiskEngine,
    opts: OrderBookOptions,
  ) {
    this.store = new OrderStore(opts.expectedOrders ?? 0);
    this.idem = new IdempotencyIndex(opts.idempotencyTtlMs, this.store);
    this.idPrefix = opts.orderIdPrefix ?? `ord_${Date.now().toString(36)}_`;
    if (!this.idPrefix.endsWith('_')) throw new RangeError('orderIdPrefix must end with "_"');
  }

  /** Event time: the wall clock, but never earlier than the previous event (monotonic). */
  clock(wallMs: number): number {
    if (wallMs > this.lastAt) this.lastAt = wallMs;
    return this.lastAt;
  }

  get lastEventAt(): number {
    return this.lastAt;
  }

  /** The last acceptSeq handed out (the next order gets one more). */
  get lastAcceptSeq(): number {
    return this.acceptSeqCounter;
  }

  /** Restores the counters a snapshot carries. */
  restoreCounters(lastAcceptSeq: number, lastAt: number): void {
    if (lastAcceptSeq > this.acceptSeqCounter) this.acceptSeqCounter = lastAcceptSeq;
    if (lastAt > this.lastAt) this.lastAt = lastAt;
  }

  get(orderId: string): Order | undefined {
    return this.store.get(orderId);
  }

  /** The account's order, or undefined when it does not exist or belongs to another account. */
  getFor(accountId: string, orderId: string): Order | undefined {
    const o = this.store.get(orderId);
    return o !== undefined && o.accountId === accountId ? o : undefined;
  }

  byClientOrderId(accountId: string, clientOrderId: string): Order | undefined {
    return this.store.byClientOrderId(accountId, clientOrderId);
  }

  /**
   * Idempotency check of a new request: the order created under (accountId, key) when the
   * request is the same, {@link KEY_CONFLICT} when it differs, null when the key is unknown
   * (or expired). Counts checked / hits / conflicts.
   */
  lookup(accountId: string, key: string, request: NewOrder, nowMs: number): Order | typeof KEY_CONFLICT | null {
    this.checked++;
    const o = this.idem.get(accountId, key, nowMs);
    if (o === undefined) return null;
    if (!sameRequest(o.request, request)) {
      this.conflicts++;
      return KEY_CONFLICT;
    }
    this.hits++;
    return o;
  }

  /** A working (non-terminal) order of the account that uses this clientOrderId. */
  openWithClientOrderId(accountId: string, clientOrderId: string): Order | undefined {
    const o = this.store.byClientOrderId(accountId, clientOrderId);
    return o !== undefined && !isTerminal(o.status) ? o : undefined;
  }

  /**
   * Creates an accepted order (id, indexes, idempotency entry, exposure) and returns its
   * OrderAccepted event, to be journaled. `at` should come from {@link clock}.
   */
  accept(accountId: string, key: string, request: NewOrder, at: number): OrderEvent {
    const seq = ++this.acceptSeqCounter;
    const o = new Order(this.idPrefix, true, accountId, seq, key, request);
    const e = this.push(orderEvent(0, EventType.OrderAccepted, at, o, null, 0, null));
    this.store.add(o);
    this.idem.add(o, at);
    o.risk = this.risk.book(this.risk.account(accountId, at), request, at);
    this.creates++;
    return e;
  }

  /** Records a cancel request on a working order (check {@link cancelDecision} first). */
  requestCancel(o: Order, at: number): OrderEvent {
    if (cancelDecision(o.status) !== 'request') throw new Error(`cannot request a cancel of a ${o.status} order`);
    this.store.setStatus(o, 'CANCEL_REQUESTED');
    return this.push(orderEvent(0, EventType.CancelRequested, at, o, null, o.filledQty, null));
  }

  /**
   * Applies a status/fill update; returns its OrderUpdated event, or the reason the state
   * machine refuses it (nothing changed then).
   */
  update(o: Order, status: OrderStatus, filledQty: number, reason: string | null, at: number): OrderEvent | string {
    const why = checkUpdate(o.status, o.filledQty, o.request.qty, status, filledQty);
    if (why !== null) return why;
    this.applyFill(o, filledQty);
    this.store.setStatus(o, status);
    const e = this.push(orderEvent(0, EventType.OrderUpdated, at, o, status, filledQty, reason));
    if (isTerminal(status)) this.releaseRisk(o);
    return e;
  }

  /**
   * Records a venue event (OrderSent, CancelSent, ExecutionReport) of the order. An
   * ExecutionReport moves the order like {@link update} (status, cumulative filled quantity,
   * exposure); returns its event, or why the state machine refuses it (nothing changed then).
   */
  venueEvent(o: Order, type: EventType, at: number, status: OrderStatus | null, filledQty: number, reason: string | null, data: string): OrderEvent | string {
    if (type !== EventType.ExecutionReport) return this.push(orderEvent(0, type, at, o, null, o.filledQty, null, data));
    const to = status!;
    if (to !== o.status || filledQty !== o.filledQty) {
      const why = checkUpdate(o.status, o.filledQty, o.request.qty, to, filledQty);
      if (why !== null) return why;
    }
    this.applyFill(o, filledQty);
    this.store.setStatus(o, to);
    const e = this.push(orderEvent(0, type, at, o, to, filledQty, reason, data));
    if (isTerminal(to)) this.releaseRisk(o);
    return e;
  }

  /**
   * Undoes `e`, which must be its order's newest event (undo newest first). Used when the
   * record was never made durable. Exposure is re-booked for an order that becomes working
   * again; undoing fills does not move positions back (the gateway journals no fills itself).
   */
  rollback(e: OrderEvent): void {
    const o = e.order;
    if (!o.removeLastEvent(e)) throw new Error('rollback must undo the newest event of an order first');
    this.events.removeLast(e);
    const log = this.log;
    if (log[log.length - 1] === e) log.pop();
    else log.splice(log.lastIndexOf(e), 1);
    if (e.type === EventType.OrderAccepted) {
      this.releaseRisk(o);
      this.idem.remove(o);
      this.store.remove(o);
      this.creates--;
      return;
    }
    // Recompute the state from the remaining events.
    let status: OrderStatus = 'ACCEPTED';
    let filled = 0;
    for (const x of o.later ?? []) {
      if (x.type === EventType.CancelRequested) status = 'CANCEL_REQUESTED';
      else if (x.type === EventType.OrderUpdated || x.type === EventType.ExecutionReport) {
        status = x.status!;
        filled = x.filledQty;
      }
    }
    const at = o.lastUpdateAt;
    const wasTerminal = isTerminal(o.status);
    this.store.setStatus(o, status);
    o.filledQty = filled;
    if (wasTerminal && !isTerminal(status) && o.risk === null) {
      const remaining = o.request.qty - filled;
      if (remaining > 0) o.risk = this.risk.book(this.risk.account(o.accountId, at), { ...o.request, qty: remaining }, at);
    }
  }

  // ---- recovery ----------------------------------------------------------------------------

  /**
   * Applies one journal record (recovery). Records of other producers (type > 99) are ignored.
   * An inconsistent record (unknown order, transition the state machine refuses) is skipped and
   * reported as an anomaly; an undecodable one throws EventDecodeError.
   */
  applyRecord(seq: number, type: number, payload: string | Buffer, nowMs: number): ApplyResult {
    if (type < 1 || type > MAX_ORDER_RECORD_TYPE) return 'ignored';
    if (typeof payload === 'string') return this.applyDecoded(seq, decodeEvent(type, payload), nowMs);
    return this.applyRecordBytes(seq, type, payload, 0, payload.length, nowMs);
  }

  /** {@link applyRecord} of a payload held in `b[start, end)` (no view is made of it). */
  applyRecordBytes(seq: number, type: number, b: Buffer, start: number, end: number, nowMs: number): ApplyResult {
    if (type < 1 || type > MAX_ORDER_RECORD_TYPE) return 'ignored';
    const d = type > BINARY_TYPE_OFFSET ? decodeBinaryEvent(type, b, start, end) : decodeEventBytes(type, b.subarray(start, end));
    return this.applyDecoded(seq, d, nowMs);
  }

  applyDecoded(seq: number, d: DecodedEvent, nowMs: number): ApplyResult {
    this.clock(d.at);
    switch (d.type) {
      case EventType.OrderAccepted: {
        // A binary record with a sequence id names no id string: the acceptSeq check covers it.
        const id = d.seqId === true ? undefined : d.orderId;
        if (id !== undefined && this.store.get(id) !== undefined) return { anomaly: `order ${id} accepted twice (seq ${seq})` };
        if (!(d.acceptSeq! > 0) || this.store.bySeqNo(d.acceptSeq!) !== undefined) {
          return { anomaly: `order ${id ?? d.idPrefix! + d.acceptSeq}: acceptSeq ${d.acceptSeq} already used (seq ${seq})` };
        }
        const o = this.recoveredOrder(d);
        if (o.acceptSeq > this.acceptSeqCounter) this.acceptSeqCounter = o.acceptSeq;
        this.push(orderEvent(seq, EventType.OrderAccepted, d.at, o, null, 0, null));
        this.store.add(o);
        this.idem.add(o, nowMs);
        o.risk = this.risk.book(this.risk.account(o.accountId, d.at), o.request, d.at);
        return 'applied';
      }
      case EventType.CancelRequested: {
        const o = this.store.get(d.orderId);
        if (o === undefined) return { anomaly: `CancelRequested for unknown order ${d.orderId} (seq ${seq})` };
        if (cancelDecision(o.status) !== 'request') return { anomaly: `CancelRequested on a ${o.status} order ${d.orderId} (seq ${seq})` };
        this.requestCancel(o, d.at).seq = seq;
        return 'applied';
      }
      case EventType.OrderUpdated: {
        const o = this.store.get(d.orderId);
        if (o === undefined) return { anomaly: `OrderUpdated for unknown order ${d.orderId} (seq ${seq})` };
        const r = this.update(o, d.status!, d.filledQty!, d.reason ?? null, d.at);
        if (typeof r === 'string') return { anomaly: `OrderUpdated refused for ${d.orderId} (seq ${seq}): ${r}` };
        r.seq = seq;
        return 'applied';
      }
      case EventType.OrderSent:
      case EventType.CancelSent:
      case EventType.ExecutionReport: {
        // Venue events of orders not in this book (/v3 and binary TCP orders) belong to the
        // execution stage's own recovery.
        const o = this.store.get(d.orderId);
        if (o === undefined) return 'ignored';
        const r = this.venueEvent(o, d.type, d.at, d.status ?? null, d.filledQty ?? o.filledQty, d.reason ?? null, d.data!);
        if (typeof r === 'string') return { anomaly: `${EVENT_TYPE_NAMES[d.type]} refused for ${d.orderId} (seq ${seq}): ${r}` };
        r.seq = seq;
        return 'applied';
      }
      default:
        return 'ignored';
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private recoveredOrder(d: DecodedEvent): Order {
    const id = d.orderId;
    const seq = d.acceptSeq!;
    if (d.seqId === true) return new Order(d.idPrefix!, true, d.accountId, seq, d.idempotencyKey!, d.request!);
    if (d.idPrefix !== undefined && d.idPrefix.length < id.length && seqOfOrderId(id) === seq) {
      return new Order(d.idPrefix, true, d.accountId, seq, d.idempotencyKey!, d.request!);
    }
    if (seqOfOrderId(id) === seq) {
      const p = id.slice(0, id.lastIndexOf('_') + 1);
      let shared = this.prefixes.get(p);
      if (shared === undefined) this.prefixes.set(p, (shared = p));
      return new Order(shared, true, d.accountId, seq, d.idempotencyKey!, d.request!);
    }
    return new Order(id, false, d.accountId, seq, d.idempotencyKey!, d.request!);
  }

  private push(e: OrderEvent): OrderEvent {
    e.order.addEvent(e);
    this.events.add(e);
    this.log.push(e);
    return e;
  }

  private applyFill(o: Order, filledQty: number): void {
    const delta = filledQty - o.filledQty;
    if (delta > 0) {
      const a = this.risk.account(o.accountId, o.lastUpdateAt);
      if (o.risk !== null) this.risk.fill(a, o.risk, delta);
      else this.risk.addPosition(a, o.request.symbol, o.request.side, delta);
    }
    o.filledQty = filledQty;
  }

  private releaseRisk(o: Order): void {
    if (o.risk === null) return;
    if (o.risk.qty > 0) this.risk.release(this.risk.account(o.accountId, o.lastUpdateAt), o.risk);
    o.risk = null;
  }
}

export { EventDecodeError };

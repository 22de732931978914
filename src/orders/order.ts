/**
 * The durable order and its state machine (FIX OrdStatus names). Pure: no I/O, no clock.
 *
 *   ACCEPTED ─┬─► CANCEL_REQUESTED ─┬─► CANCELED
 *             │                      ├─► FILLED / PARTIALLY_FILLED (fills while the cancel is pending)
 *             │                      └─► ACCEPTED / PARTIALLY_FILLED (the venue refused the cancel)
 *             ├─► PARTIALLY_FILLED ──► FILLED / CANCELED / EXPIRED / CANCEL_REQUESTED
 *             └─► FILLED / CANCELED / REJECTED / EXPIRED
 *
 * Terminal states (FILLED, CANCELED, REJECTED, EXPIRED) accept no further change; a cancel of a
 * terminal order is refused (409 ORDER_FINAL). "Durable" is not a state: an order exists for
 * clients only once the journal record that created it is on disk.
 */
import type { NewOrder } from '../contract/order.js';
import type { OpenOrder } from '../risk/engine.js';

export const ORDER_STATUSES = [
  'ACCEPTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCEL_REQUESTED',
  'CANCELED',
  'REJECTED',
  'EXPIRED',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const STATUS_INDEX: Readonly<Record<OrderStatus, number>> = Object.fromEntries(ORDER_STATUSES.map((s, i) => [s, i])) as Record<OrderStatus, number>;

/** Dense index of a status (for counters). */
export function statusIndex(s: OrderStatus): number {
  return STATUS_INDEX[s];
}

export function isOrderStatus(s: unknown): s is OrderStatus {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(STATUS_INDEX, s);
}

export function isTerminal(s: OrderStatus): boolean {
  return s === 'FILLED' || s === 'CANCELED' || s === 'REJECTED' || s === 'EXPIRED';
}

/** What a cancel request does to an order in a given state. */
export type CancelDecision =
  /** the order is working: record CANCEL_REQUESTED */
  | 'request'
  /** a cancel is already pending: answer as for the first request, record nothing */
  | 'pending'
  /** terminal: 409 ORDER_FINAL */
  | 'final';

export function cancelDecision(s: OrderStatus): CancelDecision {
  if (isTerminal(s)) return 'final';
  return s === 'CANCEL_REQUESTED' ? 'pending' : 'request';
}

const UPDATES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  ACCEPTED: ['PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  CANCEL_REQUESTED: ['ACCEPTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  FILLED: [],
  CANCELED: [],
  REJECTED: [],
  EXPIRED: [],
};

/**
 * Checks an update (a venue report, or the gateway completing a cancel) against the state
 * machine. Returns null when allowed, else why not. Fill rules: the cumulative filled quantity
 * never decreases and never exceeds the order quantity; FILLED means filled = qty; PARTIALLY_FILLED
 * means 0 < filled < qty; ACCEPTED (a refused cancel) keeps the fills it had.
 */
export function checkUpdate(from: OrderStatus, fromFilled: number, qty: number, to: OrderStatus, filled: number): string | null {
  if (!UPDATES[from].includes(to)) return `${from} cannot become ${to}`;
  if (!Number.isSafeInteger(filled) || filled < fromFilled) return `filled quantity cannot go from ${fromFilled} to ${filled}`;
  if (filled > qty) return `filled quantity ${filled} exceeds the order quantity ${qty}`;
  if (to === 'FILLED' && filled !== qty) return 'FILLED needs filled = qty';
  if (to === 'PARTIALLY_FILLED' && !(filled > 0 && filled < qty)) return 'PARTIALLY_FILLED needs 0 < filled < qty';
  if (to === 'ACCEPTED' && filled !== 0) return 'an order with fills is PARTIALLY_FILLED, not ACCEPTED';
  return null;
}

/**
 * Journal/bus event types of the order lifecycle. 1-3 are the gateway's own; 4-6 record what
 * happened at a venue (execution/): always journaled in the JSON bus-event form, with the venue
 * data in `data`.
 */
export enum EventType {
  OrderAccepted = 1,
  CancelRequested = 2,
  OrderUpdated = 3,
  OrderSent = 4,
  CancelSent = 5,
  ExecutionReport = 6,
}

export const EVENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  [EventType.OrderAccepted]: 'OrderAccepted',
  [EventType.CancelRequested]: 'CancelRequested',
  [EventType.OrderUpdated]: 'OrderUpdated',
  [EventType.OrderSent]: 'OrderSent',
  [EventType.CancelSent]: 'CancelSent',
  [EventType.ExecutionReport]: 'ExecutionReport',
};

/** True for the event types that record what happened at a venue. */
export function isVenueEvent(t: number): boolean {
  return t >= EventType.OrderSent && t <= EventType.ExecutionReport;
}

/**
 * One lifecycle event of an order, as journaled. OrderAccepted's data is the order's request
 * fields; CancelRequested has none; OrderUpdated carries the new status, cumulative filled
 * quantity and a reason.
 */
export interface OrderEvent {
  /** journal seq of the record (0 until appended) */
  seq: number;
  readonly type: EventType;
  /** epoch ms */
  readonly at: number;
  readonly order: Order;
  /** OrderUpdated and ExecutionReport: the status after it */
  readonly status: OrderStatus | null;
  readonly filledQty: number;
  readonly reason: string | null;
  /** venue events: the `data` object of their bus event, as JSON text */
  readonly data: string | null;
}

/**
 * Makes an event. A plain object literal, not a class instance: every event stays in memory
 * for the life of the process, and V8 pretenures long-lived literals (allocates them straight
 * into the old generation) but not class instances, whose young-generation copies dominated
 * the garbage collector's work while recovery rebuilt millions of them.
 */
export function orderEvent(
  seq: number,
  type: EventType,
  at: number,
  order: Order,
  status: OrderStatus | null,
  filledQty: number,
  reason: string | null,
  data: string | null = null,
): OrderEvent {
  return { seq, type, at, order, status, filledQty, reason, data };
}

const F_SEQ_ID = 1;
const F_ROLLED_BACK = 2;
const F_KEY_EXPIRED = 4;

/**
 * A durable order. Every order of the journal stays in memory, so the object is kept small:
 * its id is rebuilt from a shared prefix and its acceptSeq, its times are those of its events
 * (acceptedAt = the OrderAccepted event's, lastUpdateAt = the newest event's), the first event
 * needs no array, and flags share one field.
 */
export class Order {
  status: OrderStatus = 'ACCEPTED';
  filledQty = 0;
  /** Exposure held in the risk engine, or null (profile tracks none, or released). */
  risk: OpenOrder | null = null;
  /** The OrderAccepted event (set by the book right after construction). */
  first: OrderEvent | undefined = undefined;
  /** Events after the first, oldest first, or null. */
  later: OrderEvent[] | null = null;
  /** The order that held this clientOrderId in the account's index before this one (rollback). */
  prevByClient: Order | null = null;
  private flags: number;

  /**
   * @param idBase  the id prefix ("ord_..._") when `seqId`, else the whole id. Ids are not
   *                stored per order: `<prefix><acceptSeq>` is rebuilt on demand (the prefix
   *                string is shared by every order of a gateway run).
   */
  constructor(
    private readonly idBase: string,
    seqId: boolean,
    readonly accountId: string,
    /** gateway-wide acceptance counter (requestId = "req_" + acceptSeq) */
    readonly acceptSeq: number,
    /** the idempotency key it was created under (Idempotency-Key header, else clientOrderId) */
    readonly idempotencyKey: string,
    readonly request: NewOrder,
  ) {
    this.flags = seqId ? F_SEQ_ID : 0;
  }

  /** The id prefix when {@link seqId}, else the whole id (what the journal codec stores). */
  get idBaseText(): string {
    return this.idBase;
  }

  /** True when the id is `<prefix><acceptSeq>`. */
  get seqId(): boolean {
    return (this.flags & F_SEQ_ID) !== 0;
  }

  get orderId(): string {
    return (this.flags & F_SEQ_ID) !== 0 ? this.idBase + this.acceptSeq : this.idBase;
  }

  get clientOrderId(): string | null {
    return this.request.clientOrderId;
  }

  /** Removed again because its journal record was never made durable. */
  get rolledBack(): boolean {
    return (this.flags & F_ROLLED_BACK) !== 0;
  }

  set rolledBack(v: boolean) {
    this.flags = v ? this.flags | F_ROLLED_BACK : this.flags & ~F_ROLLED_BACK;
  }

  /** Its idempotency key has expired (IdempotencyIndex). */
  get keyExpired(): boolean {
    return (this.flags & F_KEY_EXPIRED) !== 0;
  }

  set keyExpired(v: boolean) {
    this.flags = v ? this.flags | F_KEY_EXPIRED : this.flags & ~F_KEY_EXPIRED;
  }

  /** Lifecycle events, oldest first (a new array). */
  get events(): OrderEvent[] {
    if (this.first === undefined) return [];
    return this.later === null ? [this.first] : [this.first, ...this.later];
  }

  /** The newest event (undefined only while the order is being created). */
  get lastEvent(): OrderEvent | undefined {
    const l = this.later;
    return l === null ? this.first : l[l.length - 1];
  }

  /** epoch ms of the OrderAccepted event */
  get acceptedAt(): number {
    return this.first === undefined ? 0 : this.first.at;
  }

  /** epoch ms of the newest event */
  get lastUpdateAt(): number {
    const e = this.lastEvent;
    return e === undefined ? 0 : e.at;
  }

  /** Journal seq of the newest event (what an answer about this order must wait for). */
  get lastSeq(): number {
    const e = this.lastEvent;
    return e === undefined ? 0 : e.seq;
  }

  /** The venue the order was sent to (its OrderSent event), or null. */
  get venue(): string | null {
    for (const e of this.later ?? []) if (e.type === EventType.OrderSent) return venueOf(e.data);
    return null;
  }

  /** Journal seq of the OrderAccepted record. */
  get acceptRecordSeq(): number {
    return this.first === undefined ? 0 : this.first.seq;
  }

  /** Appends an event (book only). */
  addEvent(e: OrderEvent): void {
    if (this.first === undefined) this.first = e;
    else if (this.later === null) this.later = [e];
    else this.later.push(e);
  }

  /** Removes the newest event if it is `e` (book rollback); false otherwise. */
  removeLastEvent(e: OrderEvent): boolean {
    const l = this.later;
    if (l !== null) {
      if (l[l.length - 1] !== e) return false;
      l.pop();
      if (l.length === 0) this.later = null;
      return true;
    }
    if (this.first !== e) return false;
    this.first = undefined;
    return true;
  }
}

/** True when two requests are the same order (what an idempotent replay must match). */
export function sameRequest(a: NewOrder, b: NewOrder): boolean {
  return (
    a.symbol === b.symbol &&
    a.side === b.side &&
    a.type === b.type &&
    a.qty === b.qty &&
    a.price === b.price &&
    a.timeInForce === b.timeInForce &&
    a.expireAt === b.expireAt &&
    a.clientOrderId === b.clientOrderId
  );
}

/** The `venue` of a venue event's data JSON. */
export function venueOf(data: string | null): string | null {
  if (data === null) return null;
  const m = /"venue":"([^"\\]*)"/.exec(data);
  return m === null ? null : m[1]!;
}

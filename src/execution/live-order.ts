/**
 * An order the execution stage has routed (or is about to): what it was, where it went, and its
 * journaled execution state. One per order working at a venue; the durable book keeps its own
 * Order for /orders orders (`durable`), and this object is the only state of a /v3 or binary TCP
 * order's execution. Event-loop thread only; the execution stage is its single writer.
 *
 * The venue events are journaled in the JSON bus-event form; the `data` objects are built here
 * (keys in alphabetical order, as every journal record writes them).
 */
import { OrdType, Side, TIF_NAMES, type NewOrder, type TimeInForce } from '../contract/order.js';
import type { ExecType } from '../contract/bus-event.js';
import type { Order, OrderStatus } from '../orders/order.js';
import type { OpenOrder } from '../risk/engine.js';
import type { VenueOrder } from '../venue/venue.js';
import type { Applied, OrderState } from './reports.js';

/** One fill, as GET /orders/{id} shows it. */
export interface Fill {
  execId: string;
  qty: number;
  px: number;
  at: number;
  venue: string;
}

/** LiveOrder flag bits (one small integer instead of six boolean fields: see the class comment). */
const F_SENT = 1;
const F_CANCEL_BEFORE_SEND = 2;
const F_ACKED = 4;
const F_RESTORED = 8;
const F_RESENT = 16;
const F_FIRST_FILL_SEEN = 32;

/**
 * Kept small on purpose: an order resting at a venue lives for seconds to days, and the gateway
 * holds one per working order. Its flags share one integer field, and it is its own
 * {@link VenueOrder} (getters over `request`) rather than holding a copy: about 320 → 190 bytes
 * retained per working order (heap profile of bench:v3 with the embedded venue, where every
 * order rests: 500k of them after 13 s).
 */
export class LiveOrder implements OrderState, VenueOrder {
  status: OrderStatus = 'ACCEPTED';
  cumQty = 0;
  notional = 0;
  private flags = 0;
  fills: Fill[] | null = null;

  constructor(
    /** the gateway order id (the venue's ClOrdID) */
    readonly orderId: string,
    readonly accountId: string,
    /** the session that entered it (binary TCP sessions get its execution reports); '' for /orders */
    readonly sessionId: string,
    readonly request: NewOrder,
    readonly venue: string,
    /** the durable book's order (/orders), or null (/v3, binary TCP) */
    readonly durable: Order | null,
    /** exposure of a /v3 order in the risk engine (the book holds a durable order's) */
    public risk: OpenOrder | null,
    /** /v3: gateway order number and shard (the routing watermark of its shard journal) */
    readonly orderNo: number,
    readonly shard: number,
    /** performance.now() when it was accepted (latency metrics) */
    readonly t0: number,
  ) {}

  /** OrderSent journaled (and the order sent once that is durable) */
  get sent(): boolean {
    return (this.flags & F_SENT) !== 0;
  }
  set sent(v: boolean) {
    this.flags = v ? this.flags | F_SENT : this.flags & ~F_SENT;
  }

  /** a cancel was asked for before the order reached the venue: it never goes there */
  get cancelBeforeSend(): boolean {
    return (this.flags & F_CANCEL_BEFORE_SEND) !== 0;
  }
  set cancelBeforeSend(v: boolean) {
    this.flags = v ? this.flags | F_CANCEL_BEFORE_SEND : this.flags & ~F_CANCEL_BEFORE_SEND;
  }

  /** the venue has acknowledged it (its first report) */
  get acked(): boolean {
    return (this.flags & F_ACKED) !== 0;
  }
  set acked(v: boolean) {
    this.flags = v ? this.flags | F_ACKED : this.flags & ~F_ACKED;
  }

  /** rebuilt from the journal at start-up (sent by an earlier run) */
  get restored(): boolean {
    return (this.flags & F_RESTORED) !== 0;
  }
  set restored(v: boolean) {
    this.flags = v ? this.flags | F_RESTORED : this.flags & ~F_RESTORED;
  }

  /** sent again after the venue answered a status request with "unknown order" */
  get resent(): boolean {
    return (this.flags & F_RESENT) !== 0;
  }
  set resent(v: boolean) {
    this.flags = v ? this.flags | F_RESENT : this.flags & ~F_RESENT;
  }

  get firstFillSeen(): boolean {
    return (this.flags & F_FIRST_FILL_SEEN) !== 0;
  }
  set firstFillSeen(v: boolean) {
    this.flags = v ? this.flags | F_FIRST_FILL_SEEN : this.flags & ~F_FIRST_FILL_SEEN;
  }

  // ---- VenueOrder: what the venue is sent ------------------------------------------------------

  /** the venue's ClOrdID: the gateway order id */
  get clOrdId(): string {
    return this.orderId;
  }
  get symbol(): string {
    return this.request.symbol;
  }
  get side(): Side {
    return this.request.side;
  }
  get type(): OrdType {
    return this.request.type;
  }
  /** integer ticks; 0 for MARKET */
  get price(): number {
    return this.request.type === OrdType.Market ? 0 : this.request.price;
  }
  get timeInForce(): TimeInForce {
    return this.request.timeInForce;
  }
  get expireAt(): number {
    return this.request.expireAt;
  }

  get qty(): number {
    return this.request.qty;
  }

  get avgPx(): number {
    return this.cumQty === 0 ? 0 : this.notional / this.cumQty;
  }

  get leavesQty(): number {
    return this.status === 'ACCEPTED' || this.status === 'PARTIALLY_FILLED' || this.status === 'CANCEL_REQUESTED' ? this.request.qty - this.cumQty : 0;
  }

  /** The `data` of a durable order's OrderSent event (/v3 orders are routed by routing records). */
  sentData(): string {
    const r = this.request;
    return (
      '{"clientOrderId":' + (r.clientOrderId === null ? 'null' : JSON.stringify(r.clientOrderId)) +
      ',"expireAt":' + (r.expireAt === 0 ? 'null' : r.expireAt) +
      ',"price":' + (r.type === OrdType.Market ? 'null' : r.price) +
      ',"qty":' + r.qty +
      ',"sessionId":' + (this.sessionId === '' ? 'null' : JSON.stringify(this.sessionId)) +
      ',"side":"' + (r.side === Side.Buy ? 'BUY' : 'SELL') +
      '","symbol":' + JSON.stringify(r.symbol) +
      ',"timeInForce":"' + TIF_NAMES[r.timeInForce] +
      '","type":"' + (r.type === OrdType.Limit ? 'LIMIT' : 'MARKET') +
      '","venue":' + JSON.stringify(this.venue) +
      '}'
    );
  }

  /** The `data` of its CancelSent event. */
  cancelData(): string {
    return '{"venue":' + JSON.stringify(this.venue) + '}';
  }

  /** The `data` of an ExecutionReport event that moved it to `a`. */
  reportData(a: Applied, execId: string, execType: ExecType): string {
    return (
      '{"avgPx":' + (a.cumQty === 0 ? 0 : round(a.notional / a.cumQty)) +
      ',"cumQty":' + a.cumQty +
      ',"execId":' + JSON.stringify(execId) +
      ',"execType":"' + execType +
      '","lastPx":' + round(a.fillPx) +
      ',"lastQty":' + a.fillQty +
      ',"leavesQty":' + (a.status === 'ACCEPTED' || a.status === 'PARTIALLY_FILLED' || a.status === 'CANCEL_REQUESTED' ? this.request.qty - a.cumQty : 0) +
      ',"reason":' + (a.reason === null ? 'null' : JSON.stringify(a.reason)) +
      ',"side":"' + (this.request.side === Side.Buy ? 'BUY' : 'SELL') +
      '","status":"' + a.status +
      '","symbol":' + JSON.stringify(this.request.symbol) +
      ',"venue":' + JSON.stringify(this.venue) +
      '}'
    );
  }
}

/** A price as the journal carries it: integer ticks, or at most 6 decimals for averages. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** A bus event (JSON, `at` in epoch ms as journal records carry it) of one of a live order's venue events. */
export function venueEventJson(type: 'CancelSent' | 'ExecutionReport', at: number, o: LiveOrder, data: string): string {
  return '{"type":"' + type + '","at":' + at + ',"accountId":' + JSON.stringify(o.accountId) + ',"orderId":' + JSON.stringify(o.orderId) + ',"data":' + data + '}';
}

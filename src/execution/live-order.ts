/**
 * An order the execution stage has routed (or is about to): what it was, where it went, and its
 * journaled execution state. One per order working at a venue; the durable book keeps its own
 * Order for /orders orders (`durable`), and this object is the only state of a /v3 or binary TCP
 * order's execution. Event-loop thread only; the execution stage is its single writer.
 *
 * The venue events are journaled in the JSON bus-event form; the `data` objects are built here
 * (keys in alphabetical order, as every journal record writes them).
 */
import { OrdType, Side, TIF_NAMES, type NewOrder } from '../contract/order.js';
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

export class LiveOrder implements OrderState {
  status: OrderStatus = 'ACCEPTED';
  cumQty = 0;
  notional = 0;
  /** OrderSent journaled (and the order sent once that is durable) */
  sent = false;
  /** a cancel was asked for before the order reached the venue: it never goes there */
  cancelBeforeSend = false;
  /** the venue has acknowledged it (its first report) */
  acked = false;
  /** rebuilt from the journal at start-up (sent by an earlier run) */
  restored = false;
  /** sent again after the venue answered a status request with "unknown order" */
  resent = false;
  firstFillSeen = false;
  fills: Fill[] | null = null;
  readonly venueOrder: VenueOrder;

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
  ) {
    this.venueOrder = {
      clOrdId: orderId,
      accountId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      qty: request.qty,
      price: request.type === OrdType.Market ? 0 : request.price,
      timeInForce: request.timeInForce,
      expireAt: request.expireAt,
    };
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

  /** The `data` of its OrderSent event. */
  sentData(): string {
    const r = this.request;
    return (
      '{"clientOrderId":' + (r.clientOrderId === null ? 'null' : JSON.stringify(r.clientOrderId)) +
      ',"expireAt":' + (r.expireAt === 0 ? 'null' : r.expireAt) +
      ',"orderNo":' + (this.durable === null ? this.orderNo : 'null') +
      ',"price":' + (r.type === OrdType.Market ? 'null' : r.price) +
      ',"qty":' + r.qty +
      ',"sessionId":' + (this.sessionId === '' ? 'null' : JSON.stringify(this.sessionId)) +
      ',"shard":' + (this.durable === null ? this.shard : 'null') +
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
export function venueEventJson(type: 'OrderSent' | 'CancelSent' | 'ExecutionReport', at: number, o: LiveOrder, data: string): string {
  return '{"type":"' + type + '","at":' + at + ',"accountId":' + JSON.stringify(o.accountId) + ',"orderId":' + JSON.stringify(o.orderId) + ',"data":' + data + '}';
}

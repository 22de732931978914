/**
 * What the execution stage finds in the durable journal at start-up about the orders it routed
 * that the durable book does not hold (/v3 and binary TCP orders): fed the venue records of those
 * orders in journal order (durable/recovery.ts `venueRecords`), it keeps the state of each that
 * is still working and, per shard, the highest order number routed — the watermark above which a
 * shard journal's orders were never sent (drain recovery returns them). Pure: no I/O.
 */
import { OrdType, Side, TimeInForce, type NewOrder } from '../contract/order.js';
import { EventType, isOrderStatus, type OrderStatus } from '../orders/order.js';
import type { Fill } from './live-order.js';
import { isTerminalStatus } from './reports.js';

export interface RestoredOrder {
  orderId: string;
  accountId: string;
  sessionId: string;
  request: NewOrder;
  venue: string;
  orderNo: number;
  shard: number;
  status: OrderStatus;
  cumQty: number;
  notional: number;
  fills: Fill[];
  cancelSent: boolean;
}

export class RoutedRestore {
  private readonly working = new Map<string, RestoredOrder>();
  /** per shard: highest orderNo routed (absent: none recorded) */
  readonly routedUpTo = new Map<number, number>();
  anomalies = 0;

  /** One venue record (OrderSent, CancelSent, ExecutionReport) of an order the book does not hold. */
  record(_seq: number, type: number, json: string): void {
    let e: { at?: unknown; accountId?: unknown; orderId?: unknown; data?: Record<string, unknown> };
    try {
      e = JSON.parse(json) as typeof e;
    } catch {
      this.anomalies++;
      return;
    }
    const d = e.data;
    if (typeof e.orderId !== 'string' || typeof e.accountId !== 'string' || d === null || typeof d !== 'object') {
      this.anomalies++;
      return;
    }
    if (type === EventType.OrderSent) {
      const orderNo = num(d.orderNo);
      const shard = num(d.shard);
      if (orderNo > 0 && shard >= 0) this.routedUpTo.set(shard, Math.max(this.routedUpTo.get(shard) ?? -1, orderNo));
      const request = requestOf(d);
      if (request === null || typeof d.venue !== 'string') {
        this.anomalies++;
        return;
      }
      this.working.set(e.orderId, {
        orderId: e.orderId,
        accountId: e.accountId,
        sessionId: typeof d.sessionId === 'string' ? d.sessionId : '',
        request,
        venue: d.venue,
        orderNo,
        shard,
        status: 'ACCEPTED',
        cumQty: 0,
        notional: 0,
        fills: [],
        cancelSent: false,
      });
      return;
    }
    const o = this.working.get(e.orderId);
    if (o === undefined) return;
    if (type === EventType.CancelSent) {
      o.cancelSent = true;
      return;
    }
    if (type !== EventType.ExecutionReport || !isOrderStatus(d.status)) return;
    const cum = num(d.cumQty);
    const lastQty = num(d.lastQty);
    if (lastQty > 0) {
      const px = typeof d.lastPx === 'number' ? d.lastPx : 0;
      o.notional += lastQty * px;
      o.fills.push({ execId: typeof d.execId === 'string' ? d.execId : '', qty: lastQty, px, at: num(e.at), venue: o.venue });
    }
    if (cum >= 0) o.cumQty = cum;
    o.status = d.status;
    if (isTerminalStatus(o.status)) this.working.delete(e.orderId);
  }

  /** The routed orders still working, in the order they were sent. */
  workingOrders(): RestoredOrder[] {
    return [...this.working.values()];
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : -1;
}

function requestOf(d: Record<string, unknown>): NewOrder | null {
  if (typeof d.symbol !== 'string' || typeof d.qty !== 'number') return null;
  const side = d.side === 'BUY' ? Side.Buy : d.side === 'SELL' ? Side.Sell : 0;
  const type = d.type === 'LIMIT' ? OrdType.Limit : d.type === 'MARKET' ? OrdType.Market : 0;
  const tif = d.timeInForce === 'GTD' ? TimeInForce.GTD : TimeInForce.GTC;
  if (side === 0 || type === 0) return null;
  return {
    symbol: d.symbol,
    side,
    type,
    qty: d.qty,
    price: typeof d.price === 'number' ? d.price : 0,
    timeInForce: tif,
    expireAt: typeof d.expireAt === 'number' ? d.expireAt : 0,
    clientOrderId: typeof d.clientOrderId === 'string' ? d.clientOrderId : null,
  };
}

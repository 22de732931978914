/**
 * FIX 4.4 application messages of the venue link, both ways, as jspurefix message objects
 * (QuickFIX FIX44 dictionary field names) and from jspurefix MsgViews. Pure mapping, no session.
 *
 *   NewOrderSingle (D)      ClOrdID 11, Account 1, Instrument/Symbol 55, Side 54, TransactTime 60,
 *                           OrderQtyData/OrderQty 38, OrdType 40, Price 44 (LIMIT), TimeInForce 59,
 *                           ExpireTime 126 (GTD)
 *   OrderCancelRequest (F)  OrigClOrdID 41, ClOrdID 11 (the cancel's own id), Symbol, Side,
 *                           TransactTime, OrderQty
 *   OrderStatusRequest (H)  ClOrdID, Symbol, Side
 *   ExecutionReport (8)     OrderID 37, ExecID 17, ClOrdID, OrigClOrdID (cancels), ExecType 150,
 *                           OrdStatus 39, OrdRejReason 103 (5 = unknown order), Symbol, Side,
 *                           OrderQty, LastQty 32, LastPx 31, LeavesQty 151, CumQty 14, AvgPx 6,
 *                           TransactTime, Text 58; header PossDupFlag 43
 *   OrderCancelReject (9)   OrderID, ClOrdID, OrigClOrdID, OrdStatus, CxlRejResponseTo 434 = 1,
 *                           CxlRejReason 102 (0 too late, 1 unknown order), Text
 *
 * Prices travel as the gateway's integer ticks. An ExecutionReport with ExecType I (status) and
 * OrdRejReason 5 answers a status request for an order the venue does not know: ordStatus UNKNOWN.
 */
import type { MsgView } from 'jspurefix';
import type { ExecType } from '../../contract/bus-event.js';
import { OrdType, Side, TimeInForce } from '../../contract/order.js';
import type { VenueCancelReject, VenueOrder, VenueOrdStatus, VenueReport } from '../venue.js';

export const T = {
  Account: 1,
  AvgPx: 6,
  ClOrdID: 11,
  CumQty: 14,
  ExecID: 17,
  LastPx: 31,
  LastQty: 32,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  Price: 44,
  Side: 54,
  Symbol: 55,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  CxlRejReason: 102,
  OrdRejReason: 103,
  ExpireTime: 126,
  ExecType: 150,
  LeavesQty: 151,
} as const;

const EXEC_TYPE_FIX: Record<ExecType, string> = { NEW: '0', TRADE: 'F', CANCELED: '4', REJECTED: '8', EXPIRED: 'C', REPLACED: '5', ORDER_STATUS: 'I' };
const EXEC_TYPE_OF = new Map(Object.entries(EXEC_TYPE_FIX).map(([k, v]) => [v, k as ExecType]));
const ORD_STATUS_FIX: Record<VenueOrdStatus, string> = {
  NEW: '0',
  PARTIALLY_FILLED: '1',
  FILLED: '2',
  CANCELED: '4',
  PENDING_CANCEL: '6',
  REJECTED: '8',
  EXPIRED: 'C',
  UNKNOWN: '8',
};
const ORD_STATUS_OF = new Map<string, VenueOrdStatus>([
  ['0', 'NEW'],
  ['1', 'PARTIALLY_FILLED'],
  ['2', 'FILLED'],
  ['4', 'CANCELED'],
  ['6', 'PENDING_CANCEL'],
  ['8', 'REJECTED'],
  ['C', 'EXPIRED'],
]);
const ORD_REJ_UNKNOWN_ORDER = 5;

function fixSide(s: Side): string {
  return s === Side.Buy ? '1' : '2';
}

function sideOf(v: unknown): Side | null {
  return v === '1' ? Side.Buy : v === '2' ? Side.Sell : null;
}

function str(view: MsgView, tag: number): string | null {
  const v = view.getString(tag);
  return v === null || v === undefined ? null : v;
}

function num(view: MsgView, tag: number): number {
  const v = view.getTyped(tag);
  return typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(v);
}

function time(view: MsgView, tag: number): number {
  const v = view.getTyped(tag);
  return v instanceof Date ? v.getTime() : 0;
}

// --- gateway → venue ---------------------------------------------------------------------------

export function newOrderSingle(o: VenueOrder, now: Date): Record<string, unknown> {
  const m: Record<string, unknown> = {
    ClOrdID: o.clOrdId,
    Account: o.accountId,
    Instrument: { Symbol: o.symbol },
    Side: fixSide(o.side),
    TransactTime: now,
    OrderQtyData: { OrderQty: o.qty },
    OrdType: o.type === OrdType.Market ? '1' : '2',
    TimeInForce: o.timeInForce === TimeInForce.GTD ? '6' : '1',
  };
  if (o.type !== OrdType.Market) m.Price = o.price;
  if (o.timeInForce === TimeInForce.GTD && o.expireAt > 0) m.ExpireTime = new Date(o.expireAt);
  return m;
}

export function orderCancelRequest(o: VenueOrder, cancelId: string, now: Date): Record<string, unknown> {
  return { OrigClOrdID: o.clOrdId, ClOrdID: cancelId, Instrument: { Symbol: o.symbol }, Side: fixSide(o.side), TransactTime: now, OrderQtyData: { OrderQty: o.qty } };
}

export function orderStatusRequest(o: VenueOrder): Record<string, unknown> {
  return { ClOrdID: o.clOrdId, Instrument: { Symbol: o.symbol }, Side: fixSide(o.side) };
}

/** A decoded D: the order, or the reason it cannot be one. */
export function decodeNewOrderSingle(view: MsgView): VenueOrder | string {
  const clOrdId = str(view, T.ClOrdID);
  const symbol = str(view, T.Symbol);
  const side = sideOf(view.getString(T.Side));
  const ordType = view.getString(T.OrdType);
  const tif = view.getString(T.TimeInForce) ?? '1';
  if (!clOrdId || !symbol || side === null) return 'INVALID_ORDER';
  if (ordType !== '1' && ordType !== '2') return 'UNSUPPORTED_ORD_TYPE';
  if (tif !== '1' && tif !== '6') return 'UNSUPPORTED_TIME_IN_FORCE';
  return {
    clOrdId,
    accountId: str(view, T.Account) ?? '',
    symbol,
    side,
    type: ordType === '1' ? OrdType.Market : OrdType.Limit,
    qty: num(view, T.OrderQty),
    price: ordType === '1' ? 0 : num(view, T.Price),
    timeInForce: tif === '6' ? TimeInForce.GTD : TimeInForce.GTC,
    expireAt: tif === '6' ? time(view, T.ExpireTime) : 0,
  };
}

/** A decoded F or H: the order it names (only the fields the venue needs), and the request's id. */
export function decodeOrderRequest(view: MsgView, cancel: boolean): { order: VenueOrder; requestId: string } | null {
  const requestId = str(view, T.ClOrdID);
  const clOrdId = cancel ? str(view, T.OrigClOrdID) : requestId;
  const side = sideOf(view.getString(T.Side));
  if (!requestId || !clOrdId || side === null) return null;
  return {
    requestId,
    order: {
      clOrdId,
      accountId: str(view, T.Account) ?? '',
      symbol: str(view, T.Symbol) ?? '',
      side,
      type: OrdType.Limit,
      qty: num(view, T.OrderQty),
      price: 0,
      timeInForce: TimeInForce.GTC,
      expireAt: 0,
    },
  };
}

// --- venue → gateway ---------------------------------------------------------------------------

/**
 * An ExecutionReport for a report of the simulator. `order` is the order it is about;
 * `cancelId` the ClOrdID of the cancel request a CANCELED answers (then ClOrdID is the cancel's and
 * OrigClOrdID the order's, as FIX 4.4 has it).
 */
export function executionReport(r: VenueReport, order: VenueOrder, cancelId: string | null): Record<string, unknown> {
  const m: Record<string, unknown> = {
    OrderID: r.venueOrderId,
    ClOrdID: cancelId ?? r.clOrdId,
    ExecID: r.execId,
    ExecType: EXEC_TYPE_FIX[r.execType],
    OrdStatus: ORD_STATUS_FIX[r.ordStatus],
    Instrument: { Symbol: order.symbol },
    Side: fixSide(order.side),
    OrderQtyData: { OrderQty: order.qty },
    LastQty: r.lastQty,
    LastPx: r.lastPx,
    LeavesQty: r.leavesQty,
    CumQty: r.cumQty,
    AvgPx: r.avgPx,
    TransactTime: new Date(r.transactTime),
  };
  if (cancelId !== null) m.OrigClOrdID = r.clOrdId;
  if (r.ordStatus === 'UNKNOWN') m.OrdRejReason = ORD_REJ_UNKNOWN_ORDER;
  if (r.text !== null) m.Text = r.text;
  return m;
}

export function decodeExecutionReport(view: MsgView, venue: string, possDup: boolean): VenueReport | null {
  const execType = EXEC_TYPE_OF.get(view.getString(T.ExecType) ?? '');
  let ordStatus = ORD_STATUS_OF.get(view.getString(T.OrdStatus) ?? '');
  const execId = str(view, T.ExecID);
  const clOrdId = str(view, T.OrigClOrdID) ?? str(view, T.ClOrdID);
  if (!execType || !ordStatus || !execId || !clOrdId) return null;
  if (execType === 'ORDER_STATUS' && num(view, T.OrdRejReason) === ORD_REJ_UNKNOWN_ORDER) ordStatus = 'UNKNOWN';
  return {
    venue,
    clOrdId,
    venueOrderId: str(view, T.OrderID) ?? '',
    execId,
    execType,
    ordStatus,
    lastQty: num(view, T.LastQty),
    lastPx: num(view, T.LastPx),
    cumQty: num(view, T.CumQty),
    leavesQty: num(view, T.LeavesQty),
    avgPx: num(view, T.AvgPx),
    text: str(view, T.Text),
    transactTime: time(view, T.TransactTime),
    possDup,
  };
}

export function orderCancelReject(r: VenueCancelReject, cancelId: string, ordStatus: VenueOrdStatus | null, now: Date): Record<string, unknown> {
  return {
    OrderID: 'NONE',
    ClOrdID: cancelId,
    OrigClOrdID: r.clOrdId,
    OrdStatus: ordStatus === null ? '8' : ORD_STATUS_FIX[ordStatus],
    TransactTime: now,
    CxlRejResponseTo: '1',
    CxlRejReason: r.reason === 'UNKNOWN_ORDER' ? '1' : r.reason === 'TOO_LATE_TO_CANCEL' ? '0' : '99',
    Text: r.reason,
  };
}

export function decodeOrderCancelReject(view: MsgView, venue: string): VenueCancelReject | null {
  const clOrdId = str(view, T.OrigClOrdID);
  if (!clOrdId) return null;
  return { venue, clOrdId, reason: str(view, T.Text) ?? `CxlRejReason ${view.getString(T.CxlRejReason) ?? '?'}` };
}

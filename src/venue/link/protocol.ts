/**
 * The messages between a venue's main-thread adapter (link/worker-venue.ts) and its worker thread
 * (link/worker-port.ts): requests one way, reports the other, each direction batched — one
 * postMessage per event-loop turn — as flat arrays of primitives, which structured clone copies
 * several times faster than arrays of objects (bench/venue-link.ts measures the whole send path).
 *
 * Request batch (`In.d`), per request, REQ_SLOTS slots:
 *   op (REQ_NEW | REQ_CANCEL | REQ_STATUS), clOrdId, accountId, symbol, side, type, qty, price,
 *   timeInForce, expireAt
 * Output batch (`Out.d`), per item, a code then its slots:
 *   OUT_REPORT, clOrdId, venueOrderId, execId, execType, ordStatus, lastQty, lastPx, cumQty,
 *     leavesQty, avgPx, text, transactTime, possDup                        (REPORT_SLOTS)
 *   OUT_CANCEL_REJECT, clOrdId, reason                                       (3)
 *   OUT_SESSION, state, detail                                               (3)
 *
 * Control messages: main → worker `{t:'close'}`; worker → main `{t:'ready'}`, `{t:'closed'}`.
 * Pure encoding helpers only: no threads here.
 */
import type { ExecType } from '../../contract/bus-event.js';
import type { VenueCancelReject, VenueOrder, VenueOrdStatus, VenueReport, VenueSessionState } from '../venue.js';

export const REQ_NEW = 1;
export const REQ_CANCEL = 2;
export const REQ_STATUS = 3;
export const REQ_SLOTS = 10;

export const OUT_REPORT = 1;
export const OUT_CANCEL_REJECT = 2;
export const OUT_SESSION = 3;
export const REPORT_SLOTS = 14;

export type Slot = string | number | boolean | null;

export interface InBatch {
  t: 'in';
  d: Slot[];
}
export interface CloseMsg {
  t: 'close';
}
export type ToWorker = InBatch | CloseMsg;

export interface OutBatch {
  t: 'out';
  d: Slot[];
}
export type FromWorker = OutBatch | { t: 'ready' } | { t: 'closed' };

export function pushRequest(d: Slot[], op: number, o: VenueOrder): void {
  d.push(op, o.clOrdId, o.accountId, o.symbol, o.side, o.type, o.qty, o.price, o.timeInForce, o.expireAt);
}

export function readRequest(d: readonly Slot[], i: number): VenueOrder {
  return {
    clOrdId: d[i + 1] as string,
    accountId: d[i + 2] as string,
    symbol: d[i + 3] as string,
    side: d[i + 4] as number,
    type: d[i + 5] as number,
    qty: d[i + 6] as number,
    price: d[i + 7] as number,
    timeInForce: d[i + 8] as number,
    expireAt: d[i + 9] as number,
  };
}

export function pushReport(d: Slot[], r: VenueReport): void {
  d.push(OUT_REPORT, r.clOrdId, r.venueOrderId, r.execId, r.execType, r.ordStatus, r.lastQty, r.lastPx, r.cumQty, r.leavesQty, r.avgPx, r.text, r.transactTime, r.possDup);
}

export function readReport(venue: string, d: readonly Slot[], i: number): VenueReport {
  return {
    venue,
    clOrdId: d[i + 1] as string,
    venueOrderId: d[i + 2] as string,
    execId: d[i + 3] as string,
    execType: d[i + 4] as ExecType,
    ordStatus: d[i + 5] as VenueOrdStatus,
    lastQty: d[i + 6] as number,
    lastPx: d[i + 7] as number,
    cumQty: d[i + 8] as number,
    leavesQty: d[i + 9] as number,
    avgPx: d[i + 10] as number,
    text: d[i + 11] as string | null,
    transactTime: d[i + 12] as number,
    possDup: d[i + 13] as boolean,
  };
}

export function pushCancelReject(d: Slot[], r: VenueCancelReject): void {
  d.push(OUT_CANCEL_REJECT, r.clOrdId, r.reason);
}

export function pushSession(d: Slot[], state: VenueSessionState, detail: string | null): void {
  d.push(OUT_SESSION, state, detail);
}

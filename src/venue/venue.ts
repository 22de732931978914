/**
 * The narrow interface the gateway's execution stage consumes: one object per venue, whatever
 * its kind (the embedded simulator, a FIX 4.4 link). Defined here, by the consumer's needs.
 *
 * Threading: every method is called on the gateway's event loop, and every {@link VenueEvents}
 * callback is invoked on it. `send`, `cancel` and `requestStatus` are called on the hot path (up
 * to ~20k/s): they only buffer the request and return; the adapter flushes its buffer once per
 * event-loop turn. They never throw for a venue that is down: a request the venue cannot take is
 * answered by the venue itself (a REJECTED report, a cancel reject, an UNKNOWN status).
 *
 * Reports follow FIX 4.4 ExecutionReport semantics: NEW on acknowledgement, TRADE per fill
 * (lastQty/lastPx, cumQty/leavesQty/avgPx after the fill), CANCELED only once the venue has
 * processed the cancel, REJECTED by the venue, EXPIRED for GTD, ORDER_STATUS in answer to
 * `requestStatus`. `execId` is unique per venue, also across venue restarts, so the consumer
 * deduplicates on (venue, execId); a report resent by the transport carries `possDup: true`.
 */
import type { OrdType, Side, TimeInForce } from '../contract/order.js';
import type { ExecType } from '../contract/bus-event.js';

export interface VenueOrder {
  /** gateway order id, unique and stable across restarts */
  clOrdId: string;
  accountId: string;
  symbol: string;
  side: Side;
  type: OrdType;
  qty: number;
  /** integer ticks; 0 for MARKET */
  price: number;
  timeInForce: TimeInForce;
  /** epoch ms, 0 = none */
  expireAt: number;
}

export type VenueOrdStatus =
  | 'NEW'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'PENDING_CANCEL'
  | 'UNKNOWN';

export interface VenueReport {
  venue: string;
  clOrdId: string;
  venueOrderId: string;
  /** unique per venue, across venue restarts too */
  execId: string;
  execType: ExecType;
  ordStatus: VenueOrdStatus;
  lastQty: number;
  lastPx: number;
  cumQty: number;
  leavesQty: number;
  avgPx: number;
  text: string | null;
  /** epoch ms */
  transactTime: number;
  possDup: boolean;
}

export interface VenueCancelReject {
  venue: string;
  clOrdId: string;
  reason: string;
}

export type VenueSessionState = 'CONNECTING' | 'UP' | 'DOWN';

export interface VenueEvents {
  report(r: VenueReport): void;
  cancelReject(r: VenueCancelReject): void;
  session(venue: string, state: VenueSessionState, detail: string | null): void;
}

export interface Venue {
  readonly name: string;
  /**
   * True when the venue's orders survive a restart of the gateway (a venue across a FIX link):
   * then "unknown order" for an order an earlier run sent means it never arrived. False for the
   * embedded simulator, whose orders die with the gateway process (cancel-on-disconnect).
   */
  readonly outlivesGateway: boolean;
  /** Starts the venue; resolves once it can take orders (the session may still be CONNECTING for FIX). */
  start(events: VenueEvents): Promise<void>;
  send(o: VenueOrder): void;
  cancel(o: VenueOrder): void;
  /** Answered by an ORDER_STATUS report, with ordStatus UNKNOWN for an order the venue never saw. */
  requestStatus(o: VenueOrder): void;
  close(): Promise<void>;
}

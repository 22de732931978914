/**
 * What a venue's execution report does to an order: pure, no I/O, no clock.
 *
 * The rules make application idempotent, so a resent, replayed or reordered report is never
 * applied twice:
 *  - a fill is only the increase of the venue's cumulative quantity over what the order has
 *    (a report with the same or a lower cumQty adds nothing);
 *  - its price is the report's lastPx when lastQty is that increase, else the one implied by the
 *    venue's average price: (avgPx · cumQty − notional so far) / increase;
 *  - a terminal order (FILLED, CANCELED, REJECTED, EXPIRED) takes nothing more;
 *  - a report that neither fills nor changes the status is not applied (a venue's NEW ack of an
 *    order already working, a PENDING_CANCEL, a duplicate).
 * The status follows FIX OrdStatus: PARTIALLY_FILLED / FILLED from the quantities, CANCELED,
 * REJECTED and EXPIRED only when the venue says so (a cancel is CANCELED on the venue's
 * confirmation), UNKNOWN (the venue has never heard of an order it was sent: dropped by its
 * cancel-on-disconnect) as CANCELED. (The execution stage first sends again, once, a restored
 * order that a venue outliving the gateway does not know: the earlier run died before sending it.)
 */
import type { OrderStatus } from '../orders/order.js';
import type { VenueReport } from '../venue/venue.js';

/** The order as the decision needs it (its last journaled state). */
export interface OrderState {
  status: OrderStatus;
  qty: number;
  cumQty: number;
  /** Σ fill qty × fill price (ticks) */
  notional: number;
}

export interface Applied {
  status: OrderStatus;
  cumQty: number;
  /** the fill this report adds (0: none) */
  fillQty: number;
  fillPx: number;
  notional: number;
  reason: string | null;
}

/** Why a report was not applied. */
export type Ignored = 'TERMINAL' | 'NO_CHANGE' | 'OVERFILL';

export function isTerminalStatus(s: OrderStatus): boolean {
  return s === 'FILLED' || s === 'CANCELED' || s === 'REJECTED' || s === 'EXPIRED';
}

/** The order's new state after `r`, or why `r` changes nothing. */
export function applyReport(o: OrderState, r: VenueReport): Applied | Ignored {
  if (isTerminalStatus(o.status)) return 'TERMINAL';
  const cum = Math.min(r.cumQty, o.qty);
  if (r.cumQty > o.qty) return 'OVERFILL';
  const fillQty = cum > o.cumQty ? cum - o.cumQty : 0;
  let fillPx = 0;
  if (fillQty > 0) {
    if (r.lastQty === fillQty && r.lastPx > 0) fillPx = r.lastPx;
    else fillPx = (r.avgPx * cum - o.notional) / fillQty;
    if (!(fillPx > 0) || !Number.isFinite(fillPx)) fillPx = r.lastPx > 0 ? r.lastPx : r.avgPx;
  }
  const newCum = o.cumQty + fillQty;
  const notional = o.notional + fillQty * fillPx;
  // A fill while a cancel is pending makes the order PARTIALLY_FILLED (the cancel stays in
  // flight at the venue, which confirms or refuses it later), as FIX OrdStatus orders it.
  const working: OrderStatus = newCum === 0 ? o.status : newCum >= o.qty ? 'FILLED' : 'PARTIALLY_FILLED';
  let status: OrderStatus = working;
  let reason: string | null = null;
  if (working !== 'FILLED') {
    switch (r.ordStatus) {
      case 'CANCELED':
        status = 'CANCELED';
        reason = r.text ?? (o.status === 'CANCEL_REQUESTED' ? 'CLIENT_CANCEL' : 'VENUE_CANCEL');
        break;
      case 'REJECTED':
        status = newCum > 0 ? 'CANCELED' : 'REJECTED';
        reason = r.text ?? 'VENUE_REJECT';
        break;
      case 'EXPIRED':
        status = 'EXPIRED';
        reason = r.text ?? 'EXPIRED';
        break;
      case 'UNKNOWN':
        status = 'CANCELED';
        reason = 'VENUE_UNKNOWN_ORDER';
        break;
      default:
        break;
    }
  }
  if (fillQty === 0 && status === o.status) return 'NO_CHANGE';
  return { status, cumQty: newCum, fillQty, fillPx, notional, reason };
}

/** The order's state after the venue refused its cancel: working again. */
export function cancelRefused(o: OrderState): OrderStatus {
  return o.cumQty === 0 ? 'ACCEPTED' : 'PARTIALLY_FILLED';
}

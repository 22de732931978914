/**
 * Rebuilding the execution stage at start-up from what recovery found: the durable book's
 * working orders (those with a venue are working there; those without were never sent), the
 * /v3 orders routed and still working (restore.ts), and the /v3 orders durable in their shard
 * journals but never routed (drain recovery, above the shard's routing watermark).
 */
import { type NewOrder, Side } from '../contract/order.js';
import { EventType, type Order } from '../orders/order.js';
import type { DurableNew, FastOrder } from '../orders/outbound.js';
import type { RingRecord } from '../fastpath/ingress-ring.js';
import type { RiskEngine } from '../risk/engine.js';
import type { VenueRouter } from '../venue/router.js';
import { LiveOrder } from './live-order.js';
import type { RoutedRestore } from './restore.js';
import { isTerminalStatus } from './reports.js';

export interface RestoreSources {
  /** the durable book's working orders */
  book: { forEachWorking(fn: (o: Order) => void): void } | null;
  /** the execution state of the /v3 orders routed and still working */
  fast: RoutedRestore | null;
  /** those orders' contents, from their shard journals */
  routedWorking: Array<{ shard: number; rec: RingRecord }>;
  /** /v3 orders never routed, with their shard */
  unrouted: Array<{ shard: number; rec: RingRecord }>;
}

export interface Restored {
  working: LiveOrder[];
  /** routed orders done before the restart, kept readable */
  done: LiveOrder[];
  unsent: DurableNew[];
  unrouted: FastOrder[];
}

export function restoreOrders(src: RestoreSources, risk: RiskEngine, router: VenueRouter): Restored {
  const out: Restored = { working: [], done: [], unsent: [], unrouted: [] };
  const now = Date.now();
  const t0 = performance.now();
  src.book?.forEachWorking((o) => {
    const venue = o.venue;
    if (venue === null) {
      out.unsent.push({ order: o, seq: o.acceptRecordSeq, t0 });
      return;
    }
    const live = new LiveOrder(o.orderId, o.accountId, '', o.request, router.isVenue(venue) ? venue : router.venueOfOrder(venue), o, null, 0, -1, t0);
    live.sent = true;
    live.acked = true;
    live.restored = true;
    live.status = o.status;
    live.cumQty = o.filledQty;
    for (const e of o.events) {
      if (e.type !== EventType.ExecutionReport || e.data === null) continue;
      const d = JSON.parse(e.data) as { lastQty?: number; lastPx?: number; execId?: string };
      if (typeof d.lastQty === 'number' && d.lastQty > 0) {
        const px = d.lastPx ?? 0;
        live.notional += d.lastQty * px;
        (live.fills ??= []).push({ execId: d.execId ?? '', qty: d.lastQty, px, at: e.at, venue: live.venue });
      }
    }
    out.working.push(live);
  });
  for (const { shard, rec } of src.routedWorking) {
    const st = src.fast?.stateOf(rec.orderNo);
    if (st === undefined) continue;
    const request = requestOf(rec);
    const terminal = isTerminalStatus(st.status);
    const remaining = request.qty - st.cumQty;
    const handle = remaining > 0 && !terminal ? risk.book(risk.account(rec.accountId, now), { ...request, qty: remaining }, now) : null;
    const venue = router.isVenue(st.venue) ? st.venue : router.venueOfOrder(st.venue);
    const live = new LiveOrder(String(rec.orderNo), rec.accountId, rec.sessionId, request, venue, null, handle, rec.orderNo, shard, t0);
    live.sent = true;
    live.acked = true;
    live.restored = true;
    live.status = st.cancelSent && st.status !== 'FILLED' ? 'CANCEL_REQUESTED' : st.status;
    live.cumQty = st.cumQty;
    live.notional = st.notional;
    if (st.fills.length > 0) live.fills = st.fills;
    (terminal ? out.done : out.working).push(live);
  }
  // Fills of routed orders replayed from the journal (a snapshot's positions already hold the earlier ones).
  for (const d of src.fast?.positions() ?? []) {
    risk.addPosition(risk.account(d.accountId, now), d.symbol, d.net > 0 ? Side.Buy : Side.Sell, Math.abs(d.net));
  }
  for (const { shard, rec } of src.unrouted) {
    const request = requestOf(rec);
    const handle = risk.book(risk.account(rec.accountId, now), request, now);
    out.unrouted.push({ orderNo: rec.orderNo, accountId: rec.accountId, sessionId: rec.sessionId, sessionSeq: rec.sessionSeq, shard, pos: -1, request, risk: handle, t0 });
  }
  return out;
}

function requestOf(rec: RingRecord): NewOrder {
  return {
    symbol: rec.symbol,
    side: rec.side,
    type: rec.type,
    qty: rec.qty,
    price: rec.price,
    timeInForce: rec.timeInForce,
    expireAt: rec.expireAt,
    clientOrderId: rec.clientOrderId,
  };
}

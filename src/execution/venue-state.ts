/**
 * The execution stage's section of a snapshot (orders/snapshot.ts carries it opaquely): the
 * venue state of the /v3 and binary TCP orders routed and still working as of the snapshot's
 * seq — what RoutedRestore would have rebuilt from the routing records and venue events before
 * it — and, per shard, the highest order number routed. Pure.
 *
 *   {"v":1,
 *    "routedUpTo":[[shard, orderNo], ...],
 *    "working":[[orderNo, shard, venue, status, cumQty, notional, cancelSent 0|1,
 *                [[execId, qty, px, at], ...]], ...]}
 */
import { isOrderStatus } from '../orders/order.js';
import type { OrderStatus } from '../orders/order.js';
import type { Fill } from './live-order.js';

const VERSION = 1;

/** The execution state of one routed order still working. */
export interface RestoredState {
  orderNo: number;
  shard: number;
  venue: string;
  status: OrderStatus;
  cumQty: number;
  notional: number;
  fills: Fill[];
  cancelSent: boolean;
}


export interface VenueState {
  routedUpTo: Map<number, number>;
  working: RestoredState[];
}

export function encodeVenueState(s: VenueState): unknown {
  return {
    v: VERSION,
    routedUpTo: [...s.routedUpTo],
    working: s.working.map((o) => [o.orderNo, o.shard, o.venue, o.status, o.cumQty, o.notional, o.cancelSent ? 1 : 0, o.fills.map((f) => [f.execId, f.qty, f.px, f.at])]),
  };
}

export class VenueStateError extends Error {
  constructor(message: string) {
    super(`snapshot venue state: ${message}`);
    this.name = 'VenueStateError';
  }
}

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Decodes what {@link encodeVenueState} produced; throws VenueStateError on anything else. */
export function decodeVenueState(x: unknown): VenueState {
  if (x === null || typeof x !== 'object') throw new VenueStateError('not an object');
  const o = x as { v?: unknown; routedUpTo?: unknown; working?: unknown };
  if (o.v !== VERSION) throw new VenueStateError(`unsupported version ${String(o.v)}`);
  if (!Array.isArray(o.routedUpTo) || !Array.isArray(o.working)) throw new VenueStateError('missing fields');
  const routedUpTo = new Map<number, number>();
  for (const e of o.routedUpTo as unknown[]) {
    if (!Array.isArray(e) || e.length !== 2 || !num(e[0]) || !num(e[1])) throw new VenueStateError('bad routedUpTo entry');
    routedUpTo.set(e[0], e[1]);
  }
  const working: RestoredState[] = [];
  for (const e of o.working as unknown[]) {
    if (!Array.isArray(e) || e.length !== 8) throw new VenueStateError('bad working entry');
    const [orderNo, shard, venue, status, cumQty, notional, cancelSent, fills] = e as unknown[];
    if (!num(orderNo) || !num(shard) || typeof venue !== 'string' || !isOrderStatus(status) || !num(cumQty) || !num(notional) || !Array.isArray(fills)) {
      throw new VenueStateError(`bad working entry for order ${String(orderNo)}`);
    }
    working.push({
      orderNo,
      shard,
      venue,
      status,
      cumQty,
      notional,
      cancelSent: cancelSent === 1,
      fills: (fills as unknown[]).map((f) => {
        if (!Array.isArray(f) || f.length !== 4 || typeof f[0] !== 'string' || !num(f[1]) || !num(f[2]) || !num(f[3])) throw new VenueStateError('bad fill');
        return { execId: f[0], qty: f[1], px: f[2], at: f[3], venue };
      }),
    });
  }
  return { routedUpTo, working };
}

/**
 * What the execution stage finds in the durable journal at start-up about the /v3 and binary TCP
 * orders it routed (the durable book holds /orders orders itself): fed, in journal order, the
 * routing records (routed-record.ts) and the venue events of those orders (durable/recovery.ts
 * `venueRecords`), it keeps the execution state of every routed order still working and, per
 * shard, the highest order number routed — the watermark above which a shard journal's orders
 * were never sent. The orders' contents come from their shard journals (drain recovery). Pure.
 */
import { EventType, isOrderStatus } from '../orders/order.js';
import { ROUTED_RECORD_TYPE } from '../orders/outbound.js';
import { isTerminalStatus } from './reports.js';
import { decodeRouted } from './routed-record.js';
import { decodeVenueState, encodeVenueState, type RestoredState } from './venue-state.js';

/** A position change from a fill of a routed order, found in the journal. */
export interface PositionDelta {
  accountId: string;
  symbol: string;
  /** signed: + bought, - sold */
  net: number;
}

export type { RestoredState } from './venue-state.js';

export class RoutedRestore {
  /** routed orders still working, by order id (the decimal text of the order number) */
  private readonly working = new Map<string, RestoredState>();
  /** routed orders done, kept readable (the newest `retainDone`, oldest first) */
  private readonly done = new Map<string, RestoredState>();
  /** per shard: highest order number routed */
  readonly routedUpTo = new Map<number, number>();
  /** position changes of the fills replayed, by account and symbol */
  private readonly deltas = new Map<string, PositionDelta>();
  anomalies = 0;

  /** @param retainDone  routed orders kept readable once done (ExecutionDeps.retainDone) */
  constructor(private readonly retainDone = 100_000) {}

  /** Starts from a snapshot's venue state (before any record is fed). Throws VenueStateError. */
  restore(state: unknown): void {
    const s = decodeVenueState(state);
    for (const [shard, n] of s.routedUpTo) this.routedUpTo.set(shard, n);
    for (const o of s.working) {
      if (isTerminalStatus(o.status)) this.finish(String(o.orderNo), o);
      else this.working.set(String(o.orderNo), o);
    }
  }

  private finish(id: string, o: RestoredState): void {
    this.done.set(id, o);
    if (this.done.size > this.retainDone) this.done.delete(this.done.keys().next().value!);
  }

  /** The state a snapshot would carry now (the venue-state.ts form). */
  snapshot(): unknown {
    return encodeVenueState({ routedUpTo: this.routedUpTo, working: [...this.done.values(), ...this.working.values()] });
  }

  /** Position changes of the fills fed. */
  positions(): PositionDelta[] {
    return [...this.deltas.values()].filter((d) => d.net !== 0);
  }

  record(_seq: number, type: number, payload: Buffer): void {
    if (type === ROUTED_RECORD_TYPE) {
      const b = decodeRouted(payload);
      if (b === null) {
        this.anomalies++;
        return;
      }
      let max = this.routedUpTo.get(b.shard) ?? -1;
      for (let i = 0; i < b.orderNos.length; i++) {
        const orderNo = b.orderNos[i]!;
        if (orderNo > max) max = orderNo;
        const venue = b.venues[b.venueOf[i]!] ?? '';
        this.working.set(String(orderNo), { orderNo, shard: b.shard, venue, status: 'ACCEPTED', cumQty: 0, notional: 0, fills: [], cancelSent: false });
      }
      this.routedUpTo.set(b.shard, max);
      return;
    }
    let e: { at?: unknown; orderId?: unknown; accountId?: unknown; data?: Record<string, unknown> };
    try {
      e = JSON.parse(payload.toString('utf8')) as typeof e;
    } catch {
      this.anomalies++;
      return;
    }
    if (typeof e.orderId !== 'string' || e.data === null || typeof e.data !== 'object') {
      this.anomalies++;
      return;
    }
    const o = this.working.get(e.orderId);
    if (o === undefined) return;
    const d = e.data;
    if (type === EventType.CancelSent) {
      o.cancelSent = true;
      return;
    }
    if (type !== EventType.ExecutionReport || !isOrderStatus(d.status)) return;
    const lastQty = typeof d.lastQty === 'number' ? d.lastQty : 0;
    if (lastQty > 0) {
      const px = typeof d.lastPx === 'number' ? d.lastPx : 0;
      o.notional += lastQty * px;
      o.fills.push({ execId: typeof d.execId === 'string' ? d.execId : '', qty: lastQty, px, at: typeof e.at === 'number' ? e.at : 0, venue: o.venue });
      if (typeof e.accountId === 'string' && typeof d.symbol === 'string') {
        const k = e.accountId + '\u0000' + d.symbol;
        let p = this.deltas.get(k);
        if (p === undefined) this.deltas.set(k, (p = { accountId: e.accountId, symbol: d.symbol, net: 0 }));
        p.net += d.side === 'SELL' ? -lastQty : lastQty;
      }
    }
    if (typeof d.cumQty === 'number') o.cumQty = d.cumQty;
    o.status = d.status;
    if (isTerminalStatus(o.status)) {
      this.working.delete(e.orderId);
      this.finish(e.orderId, o);
    }
  }

  /** The state of a routed order still working, or done and still kept (by order number), or undefined. */
  stateOf(orderNo: number): RestoredState | undefined {
    const id = String(orderNo);
    return this.working.get(id) ?? this.done.get(id);
  }

  /** Per shard, the order numbers routed and still working or kept: their contents are wanted from the shard journals. */
  workingByShard(shards: number): number[][] {
    const out: number[][] = Array.from({ length: shards }, () => []);
    for (const m of [this.done, this.working]) for (const o of m.values()) if (o.shard < shards) out[o.shard]!.push(o.orderNo);
    return out;
  }
}

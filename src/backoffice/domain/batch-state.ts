/**
 * The state a batch of events is decided on: the committed order and position rows the batch
 * refers to (read once, at the start of the batch's transaction) overlaid with what the earlier
 * events of the same batch wrote. An ExecutionReport decided here therefore sees every earlier
 * event of its batch exactly as if each had been committed on its own.
 *
 * The merge rules mirror the SQL upserts of storage/sql.ts:
 *  - orderMeta (OrderAccepted): a new order row with cumQty 0, or qty, price, clientOrderId and
 *    acceptedAt replaced in the existing one;
 *  - order (ExecutionReport): an absolute state; on an existing row only cumQty, bookedNotional,
 *    leavesQty, status and updatedAt change;
 *  - position: an absolute state (currency kept from the existing row).
 *
 * Lives for one batch only (nothing survives a rollback). Pure: no I/O, no clock.
 */
import type { BookState, OrderRecord, PositionRecord, StateRef, Writes } from './booking.js';

const orderKey = (accountId: string, orderId: string): string => `${accountId}\u0000${orderId}`;
const positionKey = (accountId: string, symbol: string): string => `${accountId}\u0000${symbol}`;

export class BatchState {
  private readonly orders = new Map<string, OrderRecord>();
  private readonly positions = new Map<string, PositionRecord>();
  private readonly changedOrderKeys = new Set<string>();
  private readonly changedPositionKeys = new Set<string>();

  /** Seeds a committed order row (as read from the books). */
  loadOrder(o: OrderRecord): void {
    this.orders.set(orderKey(o.accountId, o.orderId), o);
  }

  /** Seeds a committed position row. */
  loadPosition(p: PositionRecord): void {
    this.positions.set(positionKey(p.accountId, p.symbol), p);
  }

  state(ref: StateRef): BookState {
    return {
      order: this.orders.get(orderKey(ref.accountId, ref.orderId)) ?? null,
      position: this.positions.get(positionKey(ref.accountId, ref.symbol)) ?? null,
    };
  }

  /** Takes in the writes of one fresh event of the batch. */
  absorb(w: Writes): void {
    const m = w.orderMeta;
    if (m !== undefined) {
      const k = orderKey(m.accountId, m.orderId);
      const o = this.orders.get(k);
      this.orders.set(
        k,
        o === undefined
          ? { ...m, cumQty: 0n, bookedNotional: 0n, leavesQty: null, status: null, updatedAt: m.acceptedAt }
          : { ...o, qty: m.qty, price: m.price, clientOrderId: m.clientOrderId, acceptedAt: m.acceptedAt },
      );
      this.changedOrderKeys.add(k);
    }
    const n = w.order;
    if (n !== undefined) {
      const k = orderKey(n.accountId, n.orderId);
      const o = this.orders.get(k);
      this.orders.set(
        k,
        o === undefined ? n : { ...o, cumQty: n.cumQty, bookedNotional: n.bookedNotional, leavesQty: n.leavesQty, status: n.status, updatedAt: n.updatedAt },
      );
      this.changedOrderKeys.add(k);
    }
    const p = w.position;
    if (p !== undefined) {
      const k = positionKey(p.accountId, p.symbol);
      const o = this.positions.get(k);
      this.positions.set(k, o === undefined ? p : { ...p, currency: o.currency });
      this.changedPositionKeys.add(k);
    }
  }

  /** The final state of every order the absorbed writes changed (complete rows). */
  changedOrders(): OrderRecord[] {
    return [...this.changedOrderKeys].map((k) => this.orders.get(k)!);
  }

  /** The final state of every position the absorbed writes changed. */
  changedPositions(): PositionRecord[] {
    return [...this.changedPositionKeys].map((k) => this.positions.get(k)!);
  }
}

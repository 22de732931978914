/**
 * In-memory order store of the durable path: by acceptSeq, by order id and by (accountId,
 * clientOrderId). Counts orders by status. Nothing is evicted: the store holds every order of the
 * journal (see docs/durable.md, limits).
 *
 * Built to hold millions of orders without hurting the garbage collector: orders sit in an
 * array indexed by acceptSeq; order ids end in `_<acceptSeq>` (see OrderBook), so an id lookup
 * is an array access (an id of another shape, none produced today, falls back to a Map); the
 * clientOrderId index is a typed-array {@link PairIndex} to acceptSeq.
 */
import { isTerminal, ORDER_STATUSES, type Order, type OrderStatus, statusIndex } from './order.js';
import { PairIndex } from './pair-index.js';

/** The acceptSeq an order id ends with (`..._<n>`), or 0. */
export function seqOfOrderId(id: string): number {
  const i = id.lastIndexOf('_');
  if (i < 0 || i === id.length - 1 || id.length - i > 16) return 0;
  let n = 0;
  for (let j = i + 1; j < id.length; j++) {
    const c = id.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return 0;
    n = n * 10 + c;
  }
  return n;
}

export class OrderStore {
  /** index = acceptSeq */
  private readonly bySeq: (Order | undefined)[] = [undefined];
  private readonly byOtherId = new Map<string, Order>();
  private readonly byClient: PairIndex;
  private live = 0;
  /** orders per status, index = statusIndex() */
  readonly statusCounts = new Float64Array(ORDER_STATUSES.length);

  /** @param expectedOrders  size the indexes for this many orders up front (recovery) */
  constructor(expectedOrders = 0) {
    this.byClient = new PairIndex(Math.max(1 << 13, expectedOrders));
  }

  get size(): number {
    return this.live;
  }

  /** The order with this acceptSeq. */
  bySeqNo(acceptSeq: number): Order | undefined {
    return this.bySeq[acceptSeq];
  }

  get(orderId: string): Order | undefined {
    const seq = seqOfOrderId(orderId);
    if (seq > 0) {
      const o = this.bySeq[seq];
      if (o !== undefined && o.seqId && o.orderId === orderId) return o;
    }
    return this.byOtherId.size === 0 ? undefined : this.byOtherId.get(orderId);
  }

  /** The newest order of the account with this clientOrderId. */
  byClientOrderId(accountId: string, clientOrderId: string): Order | undefined {
    const seq = this.byClient.get(accountId, clientOrderId);
    if (seq < 0) return undefined;
    const o = this.bySeq[seq];
    return o !== undefined && o.accountId === accountId && o.request.clientOrderId === clientOrderId ? o : undefined;
  }

  /**
   * Adds an order; false (nothing changed) when its acceptSeq is taken, which only a damaged or
   * foreign journal can cause.
   */
  add(o: Order): boolean {
    const seq = o.acceptSeq;
    if (!(seq > 0) || this.bySeq[seq] !== undefined) return false;
    // Dense in practice (acceptSeq counts up); fill a gap so the array stays a list.
    while (this.bySeq.length < seq) this.bySeq.push(undefined);
    this.bySeq[seq] = o;
    if (!o.seqId) this.byOtherId.set(o.orderId, o);
    this.live++;
    const coid = o.clientOrderId;
    if (coid !== null) {
      const prevSeq = this.byClient.swap(o.accountId, coid, seq);
      const prev = prevSeq < 0 ? undefined : this.bySeq[prevSeq];
      o.prevByClient = prev !== undefined && prev.accountId === o.accountId && prev.request.clientOrderId === coid ? prev : null;
    }
    this.statusCounts[statusIndex(o.status)]++;
    return true;
  }

  /** Undoes {@link add} (the order's journal record never became durable). */
  remove(o: Order): void {
    if (this.bySeq[o.acceptSeq] !== o) return;
    const coid = o.clientOrderId;
    if (coid !== null && this.byClientOrderId(o.accountId, coid) === o) {
      const prev = o.prevByClient;
      if (prev !== null && !prev.rolledBack) this.byClient.set(o.accountId, coid, prev.acceptSeq);
      else this.byClient.deleteIf(o.accountId, coid, o.acceptSeq);
    }
    this.bySeq[o.acceptSeq] = undefined;
    if (!o.seqId) this.byOtherId.delete(o.orderId);
    this.live--;
    o.rolledBack = true;
    this.statusCounts[statusIndex(o.status)]--;
  }

  setStatus(o: Order, s: OrderStatus): void {
    if (o.status === s) return;
    this.statusCounts[statusIndex(o.status)]--;
    this.statusCounts[statusIndex(s)]++;
    o.status = s;
  }

  /** Calls `fn` with every order that is not terminal (a scan: start-up only). */
  forEachWorking(fn: (o: Order) => void): void {
    for (const o of this.bySeq) if (o !== undefined && !o.rolledBack && !isTerminal(o.status)) fn(o);
    for (const o of this.byOtherId.values()) if (!o.rolledBack && !isTerminal(o.status)) fn(o);
  }

  count(s: OrderStatus): number {
    return this.statusCounts[statusIndex(s)]!;
  }
}

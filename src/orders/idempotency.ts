/**
 * Per-account idempotency index of the durable path: (accountId, key) → the order created under
 * that key. The key is the `Idempotency-Key` header, else the body's clientOrderId.
 *
 * Only created orders are remembered (a rejected request can be retried with the same key and is
 * evaluated anew). Entries expire `ttlMs` after the order was accepted (0 = never); expiry is
 * lazy: an expired entry found by a lookup is dropped and the request proceeds as new (the old
 * order itself stays). Pure: the caller passes the clock.
 *
 * Most orders are created under their own clientOrderId (no header, or a header equal to it).
 * Their entry is implicit: the store's clientOrderId index already maps that string to the
 * order, so only orders whose key differs from their clientOrderId get an entry of their own.
 * That saves a map entry and a map update per order. If a newer order takes over the
 * clientOrderId index entry while the older order's key is still live, the older entry moves to
 * the explicit map.
 */
import type { Order } from './order.js';
import { PairIndex } from './pair-index.js';
import type { OrderStore } from './store.js';

export class IdempotencyIndex {
  /** (accountId, key) → acceptSeq, for orders whose key is not their clientOrderId */
  private readonly explicit = new PairIndex(1 << 9);
  /** live entries (expired ones not yet looked up included) */
  size = 0;
  /** entries dropped because their TTL had passed */
  expired = 0;

  constructor(
    readonly ttlMs: number,
    private readonly store: OrderStore,
  ) {}

  /** The order remembered under (accountId, key), or undefined; drops an expired entry. */
  get(accountId: string, key: string, nowMs: number): Order | undefined {
    if (this.explicit.size !== 0) {
      const seq = this.explicit.get(accountId, key);
      const o = seq < 0 ? undefined : this.store.bySeqNo(seq);
      if (o !== undefined && o.accountId === accountId && o.idempotencyKey === key) {
        if (!this.isExpired(o, nowMs)) return o;
        this.explicit.deleteIf(accountId, key, seq);
        o.keyExpired = true;
        this.size--;
        this.expired++;
      }
    }
    const o = this.store.byClientOrderId(accountId, key);
    if (o === undefined || o.idempotencyKey !== key || o.keyExpired) return undefined;
    if (this.isExpired(o, nowMs)) {
      o.keyExpired = true;
      this.size--;
      this.expired++;
      return undefined;
    }
    return o;
  }

  isExpired(o: Order, nowMs: number): boolean {
    return this.ttlMs > 0 && nowMs - o.acceptedAt > this.ttlMs;
  }

  /**
   * Remembers `o` under its key. Call right after `store.add(o)` (which may have taken the
   * clientOrderId index entry from an older order). An order whose key has already expired
   * (recovery after a long stop) is not remembered.
   */
  add(o: Order, nowMs: number): void {
    const prev = o.prevByClient;
    if (prev !== null && prev.idempotencyKey === prev.clientOrderId && !prev.keyExpired && !prev.rolledBack) {
      if (this.isExpired(prev, nowMs)) {
        prev.keyExpired = true;
        this.size--;
      } else {
        this.setExplicit(prev);
      }
    }
    if (this.isExpired(o, nowMs)) {
      o.keyExpired = true;
      return;
    }
    if (o.idempotencyKey !== o.clientOrderId) this.setExplicit(o);
    this.size++;
  }

  /** Forgets `o` (rollback of its creation). */
  remove(o: Order): void {
    if (o.keyExpired) return;
    this.size--;
    if (o.idempotencyKey === o.clientOrderId) return;
    this.explicit.deleteIf(o.accountId, o.idempotencyKey, o.acceptSeq);
  }

  private setExplicit(o: Order): void {
    this.explicit.set(o.accountId, o.idempotencyKey, o.acceptSeq);
  }
}

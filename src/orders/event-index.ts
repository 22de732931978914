/**
 * Per-account and per-order event lists, in journal order, for `GET /orders/{id}/events` and
 * `GET /accounts/{id}/events`. Built as events are journaled and rebuilt at recovery; no file is
 * read to answer a query. Event times never decrease (the order book's clock is monotonic), so a
 * time filter can stop at the first older event.
 */
import type { OrderEvent } from './order.js';

export interface EventQuery {
  /** at most this many events: the newest matches, returned oldest first */
  limit: number;
  /** keep events with at >= since (epoch ms), or null */
  since: number | null;
  /** keep events with at > after (epoch ms), or null */
  after: number | null;
  /** keep events with seq <= maxSeq (the durable head: nothing not yet on disk is shown) */
  maxSeq: number;
}

/** The last `q.limit` events of `list` that match `q`, oldest first. */
export function selectEvents(list: readonly OrderEvent[], q: EventQuery): OrderEvent[] {
  const out: OrderEvent[] = [];
  for (let i = list.length - 1; i >= 0 && out.length < q.limit; i--) {
    const e = list[i]!;
    if (e.seq === 0 || e.seq > q.maxSeq) continue;
    if (q.since !== null && e.at < q.since) break;
    if (q.after !== null && e.at <= q.after) break;
    out.push(e);
  }
  return out.reverse();
}

export class AccountEvents {
  private readonly byAccount = new Map<string, OrderEvent[]>();

  add(e: OrderEvent): void {
    const id = e.order.accountId;
    let l = this.byAccount.get(id);
    if (l === undefined) this.byAccount.set(id, (l = []));
    l.push(e);
  }

  /** Removes `e`, which must be the account's newest event (rollback). */
  removeLast(e: OrderEvent): void {
    const l = this.byAccount.get(e.order.accountId);
    if (l !== undefined && l[l.length - 1] === e) l.pop();
  }

  list(accountId: string): readonly OrderEvent[] {
    return this.byAccount.get(accountId) ?? EMPTY;
  }

  has(accountId: string): boolean {
    return this.byAccount.has(accountId);
  }

  accountIds(): IterableIterator<string> {
    return this.byAccount.keys();
  }
}

const EMPTY: readonly OrderEvent[] = [];

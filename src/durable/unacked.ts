/**
 * The book events journaled but not yet durable, oldest first: what a journal failure rolls back
 * (newest first), so that the book never shows what the journal may not hold. Entries leave as
 * their records become durable; the array is compacted when most of it is spent. Event-loop
 * thread only.
 */
import type { OrderEvent } from '../orders/order.js';

export class UnackedEvents {
  private events: OrderEvent[] = [];
  private head = 0;

  push(ev: OrderEvent): void {
    this.events.push(ev);
  }

  /** Drops every event whose record is durable (seq ≤ `durableSeq`). */
  settle(durableSeq: number): void {
    const un = this.events;
    let h = this.head;
    while (h < un.length && un[h]!.seq <= durableSeq) un[h++] = undefined as never;
    if (h === un.length) {
      un.length = 0;
      h = 0;
    } else if (h > 4096 && h * 2 > un.length) {
      un.splice(0, h);
      h = 0;
    }
    this.head = h;
  }

  /**
   * Hands every event above `durableSeq` to `undo`, newest first, and forgets them all. Returns
   * how many were undone.
   */
  rollBackAbove(durableSeq: number, undo: (ev: OrderEvent) => void): number {
    const un = this.events;
    let n = 0;
    for (let i = un.length - 1; i >= this.head; i--) {
      const ev = un[i]!;
      if (ev.seq > durableSeq) {
        undo(ev);
        n++;
      }
    }
    un.length = 0;
    this.head = 0;
    return n;
  }
}

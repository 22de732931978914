/**
 * The durable path's pending answers: a FIFO of requests waiting for the journal record they
 * depend on to become durable, in journal order. Parallel arrays (grown by doubling, compacted in
 * place when half is free) instead of one object per entry, so waiting costs no allocation and no
 * closure per request. Event-loop thread only.
 */
import type { Order } from '../orders/order.js';

export class PendingAnswers<S, K extends number> {
  private seqs: Float64Array = new Float64Array(1024);
  private t0s: Float64Array = new Float64Array(1024);
  private kinds: Uint8Array = new Uint8Array(1024);
  private sinks: (S | null)[] = new Array<S | null>(1024).fill(null);
  private orders: (Order | null)[] = new Array<Order | null>(1024).fill(null);
  private head = 0;
  private tail = 0;

  // The entry taken by the last shift() (valid until the next one).
  kind = 0 as K;
  sink: S = null as S;
  order: Order = null as unknown as Order;
  t0 = 0;

  get size(): number {
    return this.tail - this.head;
  }

  /** The journal seq the oldest entry waits for (Infinity when empty). */
  peekSeq(): number {
    return this.head < this.tail ? this.seqs[this.head]! : Number.POSITIVE_INFINITY;
  }

  push(kind: K, sink: S, order: Order, seq: number, t0: number): void {
    if (this.tail === this.seqs.length) this.grow();
    const i = this.tail++;
    this.seqs[i] = seq;
    this.t0s[i] = t0;
    this.kinds[i] = kind;
    this.sinks[i] = sink;
    this.orders[i] = order;
  }

  /** Takes the oldest entry into `kind`, `sink`, `order`, `t0`. */
  shift(): void {
    const i = this.head++;
    this.kind = this.kinds[i] as K;
    this.sink = this.sinks[i] as S;
    this.order = this.orders[i]!;
    this.t0 = this.t0s[i]!;
    this.sinks[i] = null;
    this.orders[i] = null;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  private grow(): void {
    const live = this.tail - this.head;
    const cap = this.seqs.length;
    const size = live * 2 > cap ? cap * 2 : cap; // compact in place when half is free
    const seqs = new Float64Array(size);
    const t0s = new Float64Array(size);
    const kinds = new Uint8Array(size);
    seqs.set(this.seqs.subarray(this.head, this.tail));
    t0s.set(this.t0s.subarray(this.head, this.tail));
    kinds.set(this.kinds.subarray(this.head, this.tail));
    const sinks = new Array<S | null>(size).fill(null);
    const orders = new Array<Order | null>(size).fill(null);
    for (let j = 0; j < live; j++) {
      sinks[j] = this.sinks[this.head + j]!;
      orders[j] = this.orders[this.head + j]!;
    }
    this.seqs = seqs;
    this.t0s = t0s;
    this.kinds = kinds;
    this.sinks = sinks;
    this.orders = orders;
    this.head = 0;
    this.tail = live;
  }
}

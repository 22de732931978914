/**
 * The hand-over from order entry to the execution stage: accepted orders and cancel requests
 * waiting to go to a venue. Written by the entry paths (the durable service for `/orders`, the
 * fast path for `/v3` and binary TCP), read by the execution stage (execution/), all on the
 * event-loop thread: one writer per queue, one reader.
 *
 * Nothing goes to a venue before it is journaled: a durable order once its OrderAccepted record
 * is durable (its journal seq), a /v3 order once the drain side has made its ring slot durable
 * (its ring position in its shard), a cancel once its CancelRequested record is durable. So the
 * queues are FIFOs ordered by what they wait for, one per source.
 */
import { Fifo } from '@switchyard/protocol';
import type { NewOrder } from '../contract/order.js';
import type { OpenOrder } from '../risk/engine.js';
import type { Order } from './order.js';

/**
 * Journal record type of a batch of /v3 and binary TCP orders routed to venues (a binary payload,
 * execution/routed-record.ts): one record per shard and routing pass instead of one OrderSent
 * per order — the orders themselves are in their shard journals. Not an order-lifecycle record
 * (types 1..99): the bus skips it.
 */
export const ROUTED_RECORD_TYPE = 200;

/** An accepted /v3 or binary TCP order. */
export interface FastOrder {
  /** gateway order number; the order id is its decimal text */
  orderNo: number;
  accountId: string;
  sessionId: string;
  sessionSeq: number;
  shard: number;
  /** position in its shard's ingress ring: durable once the ring has freed it */
  pos: number;
  request: NewOrder;
  /** exposure booked in the risk engine, or null */
  risk: OpenOrder | null;
  /** performance.now() at acceptance */
  t0: number;
}

/** A durable order and the journal seq of its OrderAccepted record. */
export interface DurableNew {
  order: Order;
  seq: number;
  t0: number;
}

/** A cancel request: a durable order's (journal seq of its CancelRequested) or a fast order's (seq 0). */
export interface CancelRequest {
  order: Order | null;
  orderNo: number;
  accountId: string;
  seq: number;
}

export class OutboundQueue {
  readonly durable = new Fifo<DurableNew>();
  /** per shard, in ring order */
  readonly fast: Fifo<FastOrder>[];
  readonly cancels = new Fifo<CancelRequest>();
  /** the reader's wake-up (set by the execution stage when it is constructed) */
  private onWork: (() => void) | null = null;

  constructor(shards: number) {
    this.fast = Array.from({ length: shards }, () => new Fifo<FastOrder>());
  }

  /** The reader asks to be woken when something is queued that no durable-journal progress announces. */
  setReader(onWork: () => void): void {
    this.onWork = onWork;
  }

  /** Something was queued: wake the reader (it coalesces wake-ups). */
  wake(): void {
    this.onWork?.();
  }

  get size(): number {
    let n = this.durable.length + this.cancels.length;
    for (const f of this.fast) n += f.length;
    return n;
  }
}

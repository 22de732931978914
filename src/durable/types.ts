/**
 * The durable service's vocabulary, shared with the transports that answer for it and the
 * metrics that read it: what an answer is about, the responder a transport implements, the part
 * of the kill switch it respects, its counters and what recovery found.
 */
import type { Reason } from '../contract/reasons.js';
import type { BatchInfo } from '../journal/index.js';
import { LatencyHistogram } from '../lib/latency.js';
import type { BackpressureReason } from './backpressure.js';
import type { Order } from '../orders/order.js';

/** What a pending (or immediate) answer is about. */
export enum AnswerKind {
  /** new order: 202 ACCEPTED */
  Accepted = 0,
  /** same key, same request: the original 202 */
  Replay = 1,
  /** cancel recorded (or already pending) */
  Cancel = 2,
  /** cancel of a terminal order: 409 ORDER_FINAL */
  CancelFinal = 3,
  /** read of one order */
  Read = 4,
}

/**
 * The transport side: writes the answers. `S` is the transport's answer sink, one per request,
 * which the service only keeps and hands back.
 */
export interface DurableResponder<S> {
  /** The records the answer depends on are durable: answer from `order`'s current state. */
  answer(kind: AnswerKind, sink: S, order: Order, t0: number): void;
  /** They never will be: answer with `reason` (the book was rolled back already). */
  fail(kind: AnswerKind, sink: S, order: Order, t0: number, reason: Reason): void;
}

/** The part of the kill switch the durable path respects (global and account kills). */
export interface KillView {
  /** why the account's new orders are refused, or null */
  blockedAccount(accountId: string): Reason | null;
}

export class DurableCounters {
  accepted = 0;
  cancels = 0;
  /** rejects by numeric reason code */
  readonly byReason = new Float64Array(256);
  rejected = 0;
  durabilityFailures = 0;
  backpressureInflight = 0;
  backpressureWalBytes = 0;
  backpressureWalAge = 0;
  backpressureSoftWalAge = 0;
  backpressureDiskFree = 0;

  countBackpressure(r: BackpressureReason): void {
    if (r === 'BACKPRESSURE_INFLIGHT_SOFT') this.backpressureInflight++;
    else if (r === 'BACKPRESSURE_WAL_BYTES') this.backpressureWalBytes++;
    else if (r === 'BACKPRESSURE_WAL_AGE') this.backpressureWalAge++;
    else if (r === 'BACKPRESSURE_DISK_FREE') this.backpressureDiskFree++;
    else this.backpressureSoftWalAge++;
  }
  snapshots = 0;
  snapshotFailures = 0;
  snapshotLastSeq = 0;
  snapshotLastMs = 0;
  snapshotLastBytes = 0;
  /** orders the last snapshot held */
  snapshotLastOrders = 0;
}

export interface RecoveryStats {
  totalMs: number;
  snapshotSeq: number;
  /** format of the snapshot loaded (0: none; 1: history, 2: state) */
  snapshotFormat: number;
  /** orders the snapshot held */
  snapshotOrders: number;
  snapshotEvents: number;
  snapshotMs: number;
  replayedRecords: number;
  replayMs: number;
  /** journal records covered by the recovered state: snapshot seq + records replayed */
  lastSeq: number;
  orders: number;
  anomalies: number;
  tornTail: boolean;
  /** whether the HMAC chain of the replayed records was checked */
  chainVerified: boolean;
  /** chain breaks stepped over (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN) */
  chainBreaks: number;
}

/**
 * The journal writer's per-batch figures (its `onBatch` callback): batches and records made
 * durable, fdatasync time and records per batch. Built before the writer is opened, so that the
 * writer reports to it from its first batch.
 */
export class JournalBatchStats {
  batches = 0;
  records = 0;
  /** duration of each journal fdatasync */
  readonly fdatasync = new LatencyHistogram();
  /** records per journal batch (values are counts, not ns) */
  readonly batchRecords = new LatencyHistogram();

  readonly onBatch = (b: BatchInfo): void => {
    this.batches++;
    this.records += b.records;
    if (b.syncUs > 0) this.fdatasync.record(b.syncUs * 1000);
    this.batchRecords.record(b.records);
  };
}

/**
 * Metrics of the durable `/orders` path (names of the original gateway where it had them), read
 * at scrape time from the service that owns the state.
 */
import { REASONS, type Reason } from '../contract/reasons.js';
import type { DurableOrders } from '../durable/service.js';
import { ORDER_STATUSES, statusIndex } from '../orders/order.js';
import type { OrdersHttpCounters } from '../transport/http/durable-answers.js';
import type { MetricsRegistry } from './registry.js';

const P3: ReadonlyArray<[string, number]> = [
  ['p50', 50],
  ['p99', 99],
  ['p999', 99.9],
];

export function registerDurableMetrics(m: MetricsRegistry, svc: DurableOrders<unknown>, http: OrdersHttpCounters): void {
  const c = svc.counters;
  const b = svc.book;
  const w = () => svc.journal;

  // --- acknowledgement and journal latency --------------------------------------------------
  m.percentiles('gateway_durable_ack', 'POST /orders: request start to durable acknowledgement', svc.durableAck, P3);
  m.percentiles('gateway_fdatasync', 'Journal fdatasync duration per batch', svc.fdatasync, P3);
  m.histogram('gateway_durable_ack_seconds', 'POST /orders: request start to durable acknowledgement', [[{}, svc.durableAck]]);
  m.histogram('gateway_fdatasync_seconds', 'Journal fdatasync duration per batch', [[{}, svc.fdatasync]]);
  m.gauge('gateway_wal_batch_records_p50', 'Records per journal batch (group commit), p50', () => svc.batchRecords.percentileNs(50));
  m.gauge('gateway_wal_batch_records_p99', 'Records per journal batch (group commit), p99', () => svc.batchRecords.percentileNs(99));
  m.gauge('gateway_wal_batch_records_max', 'Records per journal batch (group commit), max', () => svc.batchRecords.maxNs);
  m.counter('gateway_wal_batches_total', 'Journal batches written (one fdatasync each when fsync is on)', () => svc.journalStats.batches);
  m.counter('gateway_wal_records_total', 'Journal records made durable since start', () => svc.journalStats.records);

  // --- journal state ------------------------------------------------------------------------
  m.gauge('gateway_wal_bytes', 'Bytes of journal segments on disk', () => svc.journalBytesAtOpen + w().bytesWritten);
  m.gauge('gateway_wal_pending_bytes', 'Journal bytes appended but not yet durable', () => w().pendingBytes);
  m.gauge('gateway_wal_pending_records', 'Journal records appended but not yet durable', () => w().pendingRecords);
  m.gauge('gateway_wal_age_ms', 'Age of the oldest journal record not yet durable (ms)', () => w().oldestPendingAgeMs);
  m.gauge('gateway_wal_last_seq', 'Seq of the last journal record appended', () => w().lastSeq);
  m.gauge('gateway_wal_durable_seq', 'Seq of the last durable journal record', () => w().lastDurableSeq);
  m.gauge('gateway_wal_fdatasync_enabled', '1 when acknowledgements wait for fdatasync (AUDIT_FDATASYNC)', () => (svc.fsyncOn ? 1 : 0));
  m.gauge('gateway_wal_failed', '1 once the journal writer failed (durable path refuses orders until restart)', () => (svc.journalFailed ? 1 : 0));
  m.counter('gateway_wal_durability_failed_total', 'Requests answered 500 WAL_DURABILITY_FAILED because the journal failed', () => c.durabilityFailures);
  m.gauge('gateway_disk_free_pct', 'Free space of the journal file system (percent; -1 = not measured)', () => svc.diskFreePct);

  // --- idempotency --------------------------------------------------------------------------
  m.counter('gateway_idempotency_checked_total', 'POST /orders idempotency lookups', () => b.checked);
  m.counter('gateway_idempotency_hits_total', 'Replays answered with the original acknowledgement', () => b.hits);
  m.counter('gateway_idempotency_creates_total', 'Orders created under a new idempotency key', () => b.creates);
  m.counter('gateway_idempotency_expired_total', 'Idempotency keys found expired (TTL) and dropped', () => b.idem.expired);
  m.counter('gateway_idempotency_conflicts_total', 'Keys reused with a different request (409)', () => b.conflicts);
  m.gauge('gateway_idempotency_keys', 'Idempotency keys held', () => b.idem.size);
  m.gauge('gateway_idempotency_handled_ratio', '(hits + creates + expired) / checked', () => (b.checked === 0 ? 0 : (b.hits + b.creates + b.idem.expired) / b.checked));
  m.gauge('gateway_idempotency_expired_ratio', 'expired / checked', () => (b.checked === 0 ? 0 : b.idem.expired / b.checked));

  // --- backpressure -------------------------------------------------------------------------
  m.gauge('gateway_inflight', 'Orders appended to the journal but not yet durable', () => svc.inflight);
  m.gauge('gateway_durable_inflight', 'Same as gateway_inflight', () => svc.inflight);
  m.gauge('gateway_inflight_current', 'Same as gateway_inflight (the name the original\'s inflight scripts read)', () => svc.inflight);
  m.counter('gateway_backpressure_inflight_total', 'Orders refused: inflight cap (429 BACKPRESSURE_INFLIGHT_SOFT)', () => c.backpressureInflight);
  m.counter('gateway_backpressure_wal_bytes_total', 'Orders refused: journal pending bytes (503 BACKPRESSURE_WAL_BYTES)', () => c.backpressureWalBytes);
  m.counter('gateway_backpressure_wal_age_total', 'Orders refused: journal age (503 BACKPRESSURE_WAL_AGE)', () => c.backpressureWalAge);
  m.counter('gateway_backpressure_soft_wal_age_total', 'Orders refused: journal age, soft (429 BACKPRESSURE_SOFT_WAL_AGE)', () => c.backpressureSoftWalAge);
  m.counter('gateway_backpressure_disk_free_total', 'Orders refused: journal disk nearly full (503 BACKPRESSURE_DISK_FREE)', () => c.backpressureDiskFree);

  // --- orders -------------------------------------------------------------------------------
  m.counter('gateway_orders_accepted_total', 'Durable orders accepted (journaled) since start', () => c.accepted);
  m.counter('gateway_orders_cancels_total', 'Durable orders cancelled since start', () => c.cancels);
  m.counter('gateway_orders_rejected_total', 'POST /orders refused after the contract checks', () => c.rejected);
  m.counter('gateway_orders_replays_total', 'POST /orders answered from the idempotency index', () => http.replays);
  m.family('gateway_orders', 'Durable orders held, by status', 'gauge', () =>
    ORDER_STATUSES.map((status) => [{ status }, b.store.statusCounts[statusIndex(status)]!] as [Record<string, string>, number]),
  );
  m.family('gateway_orders_reject_total', 'POST /orders refusals by reason', 'counter', () =>
    (Object.keys(REASONS) as Reason[])
      .map((reason) => [{ reason }, c.byReason[REASONS[reason] & 0xff]!] as [Record<string, string>, number])
      .filter(([, v]) => v > 0),
  );

  // --- recovery and snapshots ---------------------------------------------------------------
  m.gauge('gateway_recovery_ms', 'Start-up recovery time (snapshot load + journal replay), ms', () => Math.round(svc.recovery.totalMs));
  m.gauge('gateway_recovery_records', 'Journal records replayed at start-up (after the snapshot)', () => svc.recovery.replayedRecords);
  m.gauge('gateway_recovery_replay_ms', 'Journal replay time at start-up, ms', () => Math.round(svc.recovery.replayMs));
  m.gauge('gateway_recovery_records_per_sec', 'Journal replay speed at start-up', () =>
    svc.recovery.replayMs > 0 ? Math.round((svc.recovery.replayedRecords * 1000) / svc.recovery.replayMs) : 0,
  );
  m.gauge('gateway_recovery_snapshot_seq', 'Seq of the snapshot recovery started from (0 = none)', () => svc.recovery.snapshotSeq);
  m.gauge('gateway_recovery_snapshot_format', 'Format of the snapshot recovery started from (0 = none, 1 = history, 2 = state)', () => svc.recovery.snapshotFormat);
  m.gauge('gateway_recovery_snapshot_orders', 'Orders loaded from the snapshot at start-up', () => svc.recovery.snapshotOrders);
  m.gauge('gateway_recovery_snapshot_events', 'Events loaded from the snapshot at start-up', () => svc.recovery.snapshotEvents);
  m.gauge('gateway_recovery_snapshot_ms', 'Snapshot load time at start-up, ms', () => Math.round(svc.recovery.snapshotMs));
  m.gauge('gateway_recovery_anomalies', 'Journal records skipped at recovery as inconsistent', () => svc.recovery.anomalies);
  m.counter('gateway_snapshots_total', 'Snapshots written since start', () => c.snapshots);
  m.counter('gateway_snapshot_failures_total', 'Snapshots that failed', () => c.snapshotFailures);
  m.gauge('gateway_snapshot_last_seq', 'Journal seq of the last snapshot written', () => c.snapshotLastSeq);
  m.gauge('gateway_snapshot_last_ms', 'Duration of the last snapshot (serialise + write), ms', () => Math.round(c.snapshotLastMs));
  m.gauge('gateway_snapshot_last_bytes', 'Size of the last snapshot', () => c.snapshotLastBytes);
  m.gauge('gateway_snapshot_last_orders', 'Orders held by the last snapshot (working ones and terminal ones still retained)', () => c.snapshotLastOrders);
}

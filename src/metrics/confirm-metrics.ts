/**
 * Metrics of the /v3 durable confirmation (names of the original gateway where it had them):
 * drain-side journals, durable/rejected counts, loss suspects and the kills they raised.
 */
import type { GatewayConfig } from '../config/config.js';
import type { LossPolicy } from '../confirmation/loss-policy.js';
import type { LatencyHistogram } from '../lib/latency.js';
import { SINK_BATCHES, SINK_BYTES, SINK_DURABLE_ORDERS, SINK_FAILED_ORDERS, SINK_RECORDS } from '../drain/journal-sink.js';
import type { DrainPool } from '../drain/drain-pool.js';
import type { MetricsRegistry } from './registry.js';

export function registerConfirmMetrics(
  m: MetricsRegistry,
  cfg: GatewayConfig,
  journaled: boolean,
  losses: LossPolicy,
  confirmLatency: LatencyHistogram,
  drain: DrainPool | null,
): void {
  const c = losses.counters;
  const cc = cfg.fastPath.confirm;
  const sink = (i: number) => () => drain?.counter(i) ?? 0;
  m.counter('gateway_v3_durable_accepted_total', '/v3 orders journaled and made durable by the drain side', sink(SINK_DURABLE_ORDERS));
  m.counter('gateway_v3_durable_rejected_total', '/v3 orders that can never be durable (their shard journal failed)', sink(SINK_FAILED_ORDERS));
  m.counter('gateway_v3_journal_records_total', '/v3 journal records (one per drain pass and shard)', sink(SINK_RECORDS));
  m.counter('gateway_v3_journal_batches_total', '/v3 journal write batches (one fdatasync each when fsync is on)', sink(SINK_BATCHES));
  m.counter('gateway_v3_journal_bytes_total', 'Bytes written to the /v3 journals since start', sink(SINK_BYTES));
  m.gauge('gateway_v3_journal_enabled', '1 when accepted /v3 orders are journaled (V3_JOURNAL_ENABLE and drain on)', () => (journaled ? 1 : 0));
  m.counter('gateway_v3_journal_failures_total', 'Shard journals that failed (their shard stays killed until restart)', () => c.journalFailures);
  m.percentiles('gateway_v3_durable_confirm', '/v3 order received to durable in its shard journal', confirmLatency, [
    ['p50', 50],
    ['p99', 99],
    ['p999', 99.9],
  ]);
  m.histogram('gateway_v3_durable_confirm_seconds', '/v3 order received to durable in its shard journal', [[{}, confirmLatency]]);
  m.counter('gateway_v3_loss_suspect_total', '/v3 orders found loss-suspect (not durable in time, or refused by a full queue)', () => c.lossSuspect);
  m.counter('gateway_v3_session_killed_total', 'Sessions killed by loss-suspect escalation', () => c.sessionKilled);
  m.counter('gateway_v3_loss_shard_killed_total', 'Shards killed by loss-suspect escalation', () => c.shardKilled);
  m.counter('gateway_v3_global_killed_total', 'Global kills raised by loss-suspect escalation', () => c.globalKilled);
  m.gauge('gateway_v3_session_loss_suspect_threshold', 'V3_SESSION_LOSS_SUSPECT_THRESHOLD', () => cc.sessionThreshold);
  m.gauge('gateway_v3_shard_loss_suspect_threshold', 'V3_SHARD_LOSS_SUSPECT_THRESHOLD', () => cc.shardThreshold);
  m.gauge('gateway_v3_global_loss_suspect_threshold', 'V3_GLOBAL_LOSS_SUSPECT_THRESHOLD', () => cc.globalThreshold);
  m.gauge('gateway_v3_loss_gap_timeout_ms', 'V3_LOSS_GAP_TIMEOUT_MS', () => cc.lossGapTimeoutMs);
}

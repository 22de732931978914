/**
 * The back office's counters and latency histograms, and their Prometheus exposition.
 *
 * The booking loop bumps plain fields and records into HDR histograms (metrics/latency.ts);
 * prom-client reads them at scrape time (metrics/registry.ts). Owner: the event loop.
 *
 *   backoffice_events_applied_total{outcome}   booked | updated | recorded | stale | rejected
 *   backoffice_events_duplicate_total          redelivered ids that changed nothing
 *   backoffice_fills_total                     fills booked
 *   backoffice_batches_total                   transactions of several events committed
 *   backoffice_events_per_second               applied events per second over the last 10 s
 *   backoffice_apply_seconds (histogram), backoffice_apply_p50_us / _p99_us / _p999_us
 *                                              one event, decode to commit (of its batch)
 *   backoffice_event_lag_p50_us / _p99_us      commit time − the event's `at` (end-to-end lag)
 *   backoffice_consumer_pending                events in the bus not yet delivered (JetStream's
 *                                              count; -1 when the input cannot tell: the feed)
 *   backoffice_consumer_connected              1 while the input is connected
 *   backoffice_last_event_lag_seconds          lag of the last applied event
 *   backoffice_storage_errors_total{code}      failed booking attempts (retried)
 *   backoffice_reconcile_result                1 PASS, 0 FAIL, -1 not run yet (whole book)
 *   backoffice_reconcile_differences           differences found by the last whole-book run
 *   backoffice_reconcile_last_run_timestamp_seconds
 */
import { LatencyHistogram } from '../lib/latency.js';
import { MetricsRegistry } from '../metrics/registry.js';

export type OutcomeClass = 'booked' | 'updated' | 'recorded' | 'stale' | 'rejected';
export const OUTCOME_CLASSES: readonly OutcomeClass[] = ['booked', 'updated', 'recorded', 'stale', 'rejected'];

export interface InputStatus {
  kind: 'nats' | 'feed';
  connected: boolean;
  /** events waiting in the bus; null when unknown */
  pending: number | null;
  lastError: string | null;
}

/** Events per second over a sliding window of one-second samples. */
export class EventRate {
  private readonly samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 10_000) {}

  /** Records the running total at `nowMs` (call about once a second). */
  sample(nowMs: number, total: number): void {
    this.samples.push([nowMs, total]);
    while (this.samples.length > 2 && this.samples[0]![0] < nowMs - this.windowMs) this.samples.shift();
  }

  get perSecond(): number {
    if (this.samples.length < 2) return 0;
    const [t0, c0] = this.samples[0]!;
    const [t1, c1] = this.samples[this.samples.length - 1]!;
    return t1 > t0 ? ((c1 - c0) * 1000) / (t1 - t0) : 0;
  }
}

export class BackofficeStats {
  readonly applied = new Map<OutcomeClass, number>(OUTCOME_CLASSES.map((o) => [o, 0]));
  duplicates = 0;
  fills = 0;
  /** transactions of more than one event committed */
  batches = 0;
  readonly storageErrors = new Map<string, number>();
  readonly apply = new LatencyHistogram();
  readonly lag = new LatencyHistogram();
  readonly rate = new EventRate();
  lastEventId: string | null = null;
  lastEventAt: string | null = null;
  lastAppliedMs = 0;
  lastLagMs = 0;
  reconcileResult: -1 | 0 | 1 = -1;
  reconcileDifferences = 0;
  reconcileLastRunMs = 0;

  get appliedTotal(): number {
    let n = 0;
    for (const v of this.applied.values()) n += v;
    return n;
  }

  countOutcome(outcome: string): void {
    const cls = (outcome.startsWith('rejected') ? 'rejected' : outcome) as OutcomeClass;
    this.applied.set(cls, (this.applied.get(cls) ?? 0) + 1);
  }

  countStorageError(code: string): void {
    this.storageErrors.set(code, (this.storageErrors.get(code) ?? 0) + 1);
  }
}

export function backofficeRegistry(stats: BackofficeStats, input: () => InputStatus | null): MetricsRegistry {
  const reg = new MetricsRegistry();
  reg.family('backoffice_events_applied_total', 'Events applied, by outcome', 'counter', () => [...stats.applied].map(([outcome, v]) => [{ outcome }, v]));
  reg.counter('backoffice_events_duplicate_total', 'Redelivered events (id applied before) that changed nothing', () => stats.duplicates);
  reg.counter('backoffice_fills_total', 'Fills booked', () => stats.fills);
  reg.counter('backoffice_batches_total', 'Transactions of several events committed (BACKOFFICE_BATCH_MAX)', () => stats.batches);
  reg.gauge('backoffice_events_per_second', 'Events applied per second over the last 10 s', () => stats.rate.perSecond);
  reg.histogram('backoffice_apply_seconds', 'One event applied: decode to commit', [[{}, stats.apply]]);
  reg.percentiles('backoffice_apply', 'Event apply time', stats.apply, [
    ['p50', 50],
    ['p99', 99],
    ['p999', 99.9],
  ]);
  reg.percentiles('backoffice_event_lag', "Commit time minus the event's at", stats.lag);
  reg.gauge('backoffice_last_event_lag_seconds', 'Lag of the last applied event', () => stats.lastLagMs / 1000);
  reg.gauge('backoffice_consumer_pending', 'Events in the bus not yet delivered (-1: unknown)', () => input()?.pending ?? -1);
  reg.gauge('backoffice_consumer_connected', '1 while the input is connected', () => (input()?.connected ? 1 : 0));
  reg.family('backoffice_storage_errors_total', 'Failed booking attempts (retried), by code', 'counter', () => [...stats.storageErrors].map(([code, v]) => [{ code }, v]));
  reg.gauge('backoffice_reconcile_result', 'Last whole-book reconcile: 1 PASS, 0 FAIL, -1 not run', () => stats.reconcileResult);
  reg.gauge('backoffice_reconcile_differences', 'Differences found by the last whole-book reconcile', () => stats.reconcileDifferences);
  reg.gauge('backoffice_reconcile_last_run_timestamp_seconds', 'When the last whole-book reconcile ran (0: never)', () => stats.reconcileLastRunMs / 1000);
  return reg;
}

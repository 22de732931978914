/**
 * Metrics of the execution stage: routing, venue round trips, fills, and each venue's session
 * state and working orders — read at scrape time from the stage that owns them.
 */
import type { ExecutionService } from '../execution/execution.js';
import type { MetricsRegistry } from './registry.js';

const P3: ReadonlyArray<[string, number]> = [
  ['p50', 50],
  ['p99', 99],
  ['p999', 99.9],
];

const SESSION_STATE = { CONNECTING: 0, UP: 1, DOWN: 2 } as const;

export function registerExecutionMetrics(m: MetricsRegistry, x: ExecutionService): void {
  const c = x.counters;
  m.counter('gateway_venue_orders_routed_total', 'Orders sent to a venue (OrderSent journaled)', () => c.routed);
  m.counter('gateway_venue_cancels_sent_total', 'Cancels sent to a venue', () => c.cancelsSent);
  m.counter('gateway_venue_reports_applied_total', 'Execution reports that changed an order (journaled, then applied)', () => c.reportsApplied);
  m.counter('gateway_venue_reports_ignored_total', 'Execution reports that changed nothing (duplicates, resends, terminal orders)', () => c.reportsIgnored);
  m.counter('gateway_venue_reports_unknown_total', 'Execution reports for orders this gateway does not have', () => c.reportsUnknown);
  m.counter('gateway_venue_fills_total', 'Fills applied', () => c.fills);
  m.counter('gateway_venue_filled_qty_total', 'Quantity filled', () => c.filledQty);
  m.counter('gateway_venue_cancel_rejects_total', 'Cancels the venue refused', () => c.cancelRejects);
  m.counter('gateway_venue_events_refused_total', 'Venue events the journal or the order state machine refused', () => c.refused);
  m.counter('gateway_venue_reconcile_requests_total', 'Order status requests sent to reconcile after a restart or a reconnect', () => c.reconciles);
  m.counter('gateway_venue_orders_resent_total', 'Restored orders the venue did not know (the earlier run died before sending them), sent again', () => c.resent);
  m.percentiles('gateway_venue_ack', 'Order accepted to the venue\'s first report', x.toAck, P3);
  m.percentiles('gateway_venue_first_fill', 'Order accepted to its first fill', x.toFirstFill, P3);
  m.histogram('gateway_venue_ack_seconds', 'Order accepted to the venue\'s first report', [[{}, x.toAck]]);
  m.histogram('gateway_venue_first_fill_seconds', 'Order accepted to its first fill', [[{}, x.toFirstFill]]);
  m.family('gateway_venue_open_orders', 'Orders working at each venue', 'gauge', () => [...x.openAt].map(([venue, n]) => [{ venue }, n]));
  m.family('gateway_venue_session_state', 'Venue session state (0 connecting, 1 up, 2 down)', 'gauge', () =>
    [...x.sessions].map(([venue, s]) => [{ venue }, SESSION_STATE[s]]),
  );
}

/**
 * Metrics of the bus (read at scrape time): what the NATS publisher has published, its errors,
 * its lag behind the journals, and whether it is backing off; the in-process relay's events and
 * the event feed's followers. With BUS_KIND=none the NATS series read 0.
 */
import type { BusStatus } from '../bus/nats-publisher.js';
import type { MetricsRegistry } from './registry.js';

export interface BusMetricsSource {
  status(): BusStatus;
  /** events the in-process relay handed to the hub */
  hubEvents(): number;
  /** open GET /events/feed connections */
  feedConnections(): number;
}

export function registerBusMetrics(m: MetricsRegistry, b: BusMetricsSource): void {
  m.counter('gateway_bus_published_total', 'Events JetStream acknowledged (BUS_KIND=nats)', () => b.status().published);
  m.counter('gateway_bus_errors_total', 'Failed attempts to publish to NATS JetStream (connect, stream check, publish or ack)', () => b.status().errors);
  m.gauge('gateway_bus_lag_records', 'Durable journal records whose events JetStream has not acknowledged yet', () => b.status().lagRecords);
  m.gauge('gateway_bus_lag_ms', 'Age of the oldest durable journal record not yet acknowledged by JetStream (ms)', () => b.status().lagMs);
  m.gauge('gateway_bus_backoff', 'The NATS publisher is waiting before its next attempt (1) or not (0)', () => (b.status().backoff ? 1 : 0));
  m.gauge('gateway_bus_connected', 'The NATS publisher is connected to JetStream (1) or not (0)', () => (b.status().connected ? 1 : 0));
  m.counter('gateway_bus_hub_events_total', 'Events the in-process relay delivered to its subscribers (feed, SSE)', () => b.hubEvents());
  m.gauge('gateway_bus_feed_connections', 'Open GET /events/feed connections', () => b.feedConnections());
}

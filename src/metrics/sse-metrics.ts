/**
 * Metrics of the SSE streams (transport/sse/streams.ts), read at scrape time.
 */
import type { SseStreams } from '../transport/sse/streams.js';
import type { MetricsRegistry } from './registry.js';

export function registerSseMetrics(m: MetricsRegistry, s: SseStreams): void {
  const c = s.counters;
  m.gauge('gateway_sse_streams_open', 'SSE streams open', () => s.open);
  m.counter('gateway_sse_streams_opened_total', 'SSE streams opened', () => c.opened);
  m.family('gateway_sse_streams_refused_total', 'SSE streams refused, by reason', 'counter', () => [
    [{ reason: 'SSE_TOO_MANY_STREAMS' }, c.refusedAccount],
    [{ reason: 'SSE_CAPACITY_EXHAUSTED' }, c.refusedCapacity],
    [{ reason: 'SHUTTING_DOWN' }, c.refusedShutdown],
  ]);
  m.counter('gateway_sse_slow_client_drops_total', 'SSE streams closed because the client did not read (unsent bytes over SSE_MAX_WRITE_BUFFER_BYTES)', () => c.slowClientDrops);
  m.counter('gateway_sse_events_total', 'Events the SSE streams received from the hub', () => c.eventsDelivered);
  m.counter('gateway_sse_event_writes_total', 'Event frames written to SSE streams (one per stream and event)', () => c.eventsWritten);
  m.counter('gateway_sse_replayed_events_total', 'Events replayed after a Last-Event-ID', () => c.replayedEvents);
  m.counter('gateway_sse_resync_required_total', 'resync_required events sent (Last-Event-ID not in the replay buffer)', () => c.resyncs);
  m.counter('gateway_sse_keepalives_total', 'Keep-alive comments written', () => c.keepalives);
  m.gauge('gateway_sse_buffer_accounts', 'Accounts with a replay buffer', () => s.buffers.accountCount);
  m.counter('gateway_sse_buffer_evictions_total', 'Account replay buffers dropped to stay within SSE_BUFFER_ACCOUNTS', () => s.buffers.evictions);
}

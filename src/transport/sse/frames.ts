/**
 * The text of server-sent events: event names, frames, the `resync_required` event and the
 * comments. Pure: no sockets, no clock.
 *
 * Event names, as the original gateway and its SSE clients know them (reference §10, the anchor
 * spec's names for the events the original never emitted):
 *
 *   OrderAccepted                                   order_durable      (journaled = durable)
 *   ExecutionReport                                 execution_report
 *   OrderUpdated, CancelRequested, OrderSent,
 *   CancelSent, and any later order event type      order_update
 *
 * A frame is `id: <event id>\nevent: <name>\ndata: <bus_event_v1 JSON>\n\n`. JSON.stringify
 * output holds no raw line break and event ids are `<gatewayId>.<stream>.<seq>[.<index>]`, so
 * neither can break a frame.
 */
import type { BusEventType } from '../../contract/bus-event.js';

export type SseEventName = 'order_durable' | 'order_update' | 'execution_report';

/** The SSE event name of a `bus_event_v1` type (see the header). */
export function sseEventName(type: BusEventType | string): SseEventName {
  if (type === 'OrderAccepted') return 'order_durable';
  if (type === 'ExecutionReport') return 'execution_report';
  return 'order_update';
}

/** One event as the stream writes it. */
export function eventFrame(id: string, name: SseEventName, json: string): string {
  return 'id: ' + id + '\nevent: ' + name + '\ndata: ' + json + '\n\n';
}

/** Written to a stream with nothing else to say for SSE_KEEPALIVE_SEC (the original's comment). */
export const KEEPALIVE = ':keepalive\n\n';
/** Written to every stream just before shutdown ends it. */
export const SHUTDOWN = ':shutdown\n\n';

/** What a stream follows. */
export type StreamScope =
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'order'; readonly accountId: string; readonly orderId: string }
  | { readonly kind: 'all' };

/**
 * Where a client that missed events re-reads state: the REST events route of the order or
 * account (the original's), or the gateway's event feed for the all-accounts stream.
 */
export function eventsEndpoint(scope: StreamScope): string {
  switch (scope.kind) {
    case 'order':
      return `/orders/${encodeURIComponent(scope.orderId)}/events`;
    case 'account':
      return `/accounts/${encodeURIComponent(scope.accountId)}/events`;
    case 'all':
      return '/events/feed';
  }
}

/**
 * `resync_required` (no `id:` line, so the client keeps its Last-Event-ID): the events after
 * `lastEventId` are no longer (or never were) in the replay buffer. Data keys as the original's,
 * in its (alphabetical) order; `oldestAvailableId` is null when the buffer is empty.
 */
export function resyncFrame(scope: StreamScope, lastEventId: string, oldestAvailableId: string | null): string {
  const id = scope.kind === 'order' ? scope.orderId : scope.kind === 'account' ? scope.accountId : null;
  const data = {
    eventsEndpoint: eventsEndpoint(scope),
    id,
    lastEventId,
    oldestAvailableId,
    scope: scope.kind,
  };
  return 'event: resync_required\ndata: ' + JSON.stringify(data) + '\n\n';
}

/**
 * The Last-Event-ID a client sent: undefined (no replay) when missing, blank or `0` (as the
 * original); any other text is looked up, and an id the buffer does not hold is answered with
 * `resync_required`, never with an error.
 */
export function parseLastEventId(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || t === '0') return undefined;
  return t;
}

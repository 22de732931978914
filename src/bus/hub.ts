/**
 * The in-process event hub: every `bus_event_v1` event of the gateway, in journal order per
 * stream, once it is journaled. The journal tail (outbox relay) is its only publisher; SSE
 * streams, the event feed and the console are its subscribers. The NATS publisher reads the
 * journal itself (it resumes from its own checkpoint), not this hub.
 *
 * Delivery is synchronous and in publish order; a subscriber must not block or throw (a throwing
 * subscriber is unsubscribed and its error reported once through `onError`). Nothing is buffered
 * here: replay windows are the subscribers' business (SSE_BUFFER_SIZE).
 *
 * Owner: the main event loop (single writer: the tail).
 */
import type { BusEvent } from '../contract/bus-event.js';

/** One event as delivered: its id (contract/bus-event.ts `eventId`), body and JSON text. */
export interface HubEvent {
  readonly id: string;
  readonly event: BusEvent;
  /** `JSON.stringify(event)`, built once for every subscriber */
  readonly text: string;
}

export type HubListener = (e: HubEvent) => void;

export class EventHub {
  private listeners: HubListener[] = [];

  constructor(private readonly onError: (err: unknown, listener: HubListener) => void = () => {}) {}

  /** Adds a listener; returns its unsubscribe function. */
  subscribe(listener: HubListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get subscribers(): number {
    return this.listeners.length;
  }

  publish(e: HubEvent): void {
    // copy-on-write list: a listener may unsubscribe itself during delivery
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      try {
        l(e);
      } catch (err) {
        this.listeners = this.listeners.filter((x) => x !== l);
        this.onError(err, l);
      }
    }
  }
}

/** Builds a {@link HubEvent} from an id and an event body. */
export function hubEvent(id: string, event: BusEvent): HubEvent {
  return { id, event, text: JSON.stringify(event) };
}

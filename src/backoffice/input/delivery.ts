/**
 * What an input hands to the back office: an event id and the decoded `bus_event_v1` event (or
 * why it could not be decoded). Decoding never throws: bad input becomes a value that the
 * booking records as rejected.
 */
import { type BusEvent, validateBusEvent } from '../../contract/bus-event.js';
import type { InputStatus } from '../metrics.js';

export interface Delivery {
  id: string;
  /** null when the body is not a valid bus_event_v1 event */
  event: BusEvent | null;
  /** why `event` is null */
  problem: string | null;
}

/**
 * Takes a batch of events, in order (1 to BACKOFFICE_BATCH_MAX of them: those the input had
 * received when it called); resolves true once all are committed (the input may acknowledge
 * them), false when the back office is stopping (the input must acknowledge none, and should
 * stop).
 */
export type Sink = (batch: readonly Delivery[]) => Promise<boolean>;

/** A source of events in order: JetStream (nats.ts) or the gateway's feed (feed.ts). */
export interface EventInput {
  /**
   * Delivers events to `sink`, one batch at a time, until {@link stop}; never rejects. A batch is
   * what has already arrived: the input never waits for more to fill one.
   */
  run(sink: Sink): Promise<void>;
  stop(): Promise<void>;
  status(): InputStatus;
}

/** Largest event body decoded (bytes of UTF-16 text, a bound against abuse, not a contract limit). */
export const MAX_EVENT_TEXT = 1 << 20;
const TYPE_RE = /^[\x21-\x7e]{1,64}$/;
/** 1970-01-01: the earliest `at` accepted (PostgreSQL's range is far wider). */
const MIN_AT_MS = 0;

export function decodeEvent(id: string, text: string): Delivery {
  if (text.length > MAX_EVENT_TEXT) return { id, event: null, problem: 'TOO_LARGE' };
  // PostgreSQL text cannot hold NUL; JSON can only carry one escaped.
  if (text.includes('\\u0000')) return { id, event: null, problem: 'NUL_CHARACTER' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { id, event: null, problem: 'NOT_JSON' };
  }
  if (!validateBusEvent(v)) return { id, event: null, problem: 'NOT_BUS_EVENT_V1' };
  const ev = v as BusEvent;
  if (!TYPE_RE.test(ev.type)) return { id, event: null, problem: 'BAD_TYPE' };
  const ms = Date.parse(ev.at);
  if (!Number.isFinite(ms) || ms < MIN_AT_MS) return { id, event: null, problem: 'BAD_AT' };
  if (ev.orderId === undefined) ev.orderId = null;
  return { id, event: ev, problem: null };
}

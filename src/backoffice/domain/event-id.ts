/**
 * Event ids as the back office reads them: `<gatewayId>.<stream>.<seq>[.<index>]`
 * (contract/bus-event.ts `eventId`). The gateway id may itself contain dots; the stream name is
 * never all digits (`orders`, `v3-0`, ...), which is what tells `.<seq>.<index>` from
 * `.<stream>.<seq>`. An id of another form is still a valid dedup key; it just has no place in a
 * stream, so it does not count for the feed cursor.
 *
 * Pure.
 */

export interface EventPosition {
  gatewayId: string;
  stream: string;
  seq: number;
  /** index inside a batch record; -1 when the record holds one event */
  index: number;
}

/** Longest id accepted (the applied-events primary key). */
export const MAX_EVENT_ID_LENGTH = 256;
const DIGITS = /^\d{1,15}$/;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** True for an id the back office can key an event on: 1..256 printable ASCII, no commas. */
export function validEventId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_EVENT_ID_LENGTH && PRINTABLE.test(id) && !id.includes(',');
}

/** The stream position of an id, or null when it is not of the gateway's form. */
export function parseEventId(id: string): EventPosition | null {
  if (!validEventId(id)) return null;
  const parts = id.split('.');
  const n = parts.length;
  if (n >= 4 && DIGITS.test(parts[n - 1]!) && DIGITS.test(parts[n - 2]!) && !DIGITS.test(parts[n - 3]!)) {
    const gatewayId = parts.slice(0, n - 3).join('.');
    if (gatewayId === '' || parts[n - 3] === '') return null;
    return { gatewayId, stream: parts[n - 3]!, seq: Number(parts[n - 2]), index: Number(parts[n - 1]) };
  }
  if (n >= 3 && DIGITS.test(parts[n - 1]!) && !DIGITS.test(parts[n - 2]!)) {
    const gatewayId = parts.slice(0, n - 2).join('.');
    if (gatewayId === '' || parts[n - 2] === '') return null;
    return { gatewayId, stream: parts[n - 2]!, seq: Number(parts[n - 1]), index: -1 };
  }
  return null;
}

/** Orders two positions of the same stream. */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.index - b.index;
}

/**
 * The feed cursor (`Last-Event-ID`): the given last applied ids, one per stream, joined by
 * commas in a stable order. Empty string when nothing was applied yet.
 */
export function feedCursor(lastIds: Iterable<string>): string {
  return [...lastIds].filter((id) => parseEventId(id) !== null).sort().join(',');
}

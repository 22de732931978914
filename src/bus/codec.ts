/**
 * Journal record → `bus_event_v1` events, with their ids. Pure: no I/O, no clock.
 *
 * What each journal holds and what becomes of it:
 *
 *   stream `orders` (the durable path's journal, `<GATEWAY_DATA_DIR>/journal`)
 *     1..3   OrderAccepted / CancelRequested / OrderUpdated, JSON bus-event form (older records)
 *     11..13 the same events, binary form (orders/event-codec.ts)
 *     4..6   OrderSent / CancelSent / ExecutionReport, JSON bus-event form — of /orders orders and
 *            of /v3 and binary TCP orders alike (execution/live-order.ts `venueEventJson`)
 *     200    routing record (execution/routed-record.ts): which /v3 and TCP orders went out in one
 *            pass. Internal (no account in it; the orders are in their shard journals): skipped
 *   streams `v3-<shard>` (`<GATEWAY_DATA_DIR>/v3/shard-<n>`, written by drain/journal-sink.ts)
 *     300    batch of accepted /v3 and binary TCP orders: one OrderAccepted per order, id with the
 *            order's index in the batch
 *   any other type (>= 100: snapshots markers, routing, future internal records): skipped.
 *
 * Every event is `{type, at, accountId, orderId, data}` exactly, `at` in RFC 3339 (journal
 * records carry epoch ms). A batch order's `at` is its record's journal time.
 */
import { OrdType, Side, TIF_NAMES } from '../contract/order.js';
import { type BusEvent, eventId, rfc3339 } from '../contract/bus-event.js';
import { forEachEntry, V3_BATCH_RECORD_TYPE } from '../drain/batch-record.js';
import { emptyRecord, type RingRecord } from '../fastpath/ingress-ring.js';
import { BINARY_TYPE_OFFSET, decodeBinaryEvent } from '../orders/event-codec.js';
import { EVENT_TYPE_NAMES, EventType } from '../orders/order.js';

/** One journal record as the codec reads it. */
export interface CodecRecord {
  seq: number;
  atMs: number;
  type: number;
  payload: Buffer;
}

export type EventOut = (id: string, event: BusEvent) => void;

/** Why a record of a type the bus carries could not be read (stable `code`, the parse error as `cause`). */
export class BusCodecError extends Error {
  readonly code = 'BUS_RECORD_UNDECODABLE';
  constructor(
    readonly stream: string,
    readonly seq: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${stream} record ${seq}: ${message}`, options);
    this.name = 'BusCodecError';
  }
}

/** True for the record types that carry events (the others are skipped without reading). */
export function carriesEvents(type: number): boolean {
  return (type >= 1 && type <= 6) || (type >= 11 && type <= 13) || type === V3_BATCH_RECORD_TYPE;
}

const SIDE = (s: number): 'BUY' | 'SELL' => (s === Side.Buy ? 'BUY' : 'SELL');
const ORD_TYPE = (t: number): 'LIMIT' | 'MARKET' => (t === OrdType.Limit ? 'LIMIT' : 'MARKET');

/**
 * The events of one record, handed to `out` in order; returns how many. Throws
 * {@link BusCodecError} for a record of an event type whose payload does not parse.
 */
export function decodeRecord(gatewayId: string, stream: string, r: CodecRecord, out: EventOut): number {
  const t = r.type;
  if (t === V3_BATCH_RECORD_TYPE) return batchEvents(gatewayId, stream, r, out);
  if (t >= 11 && t <= 13) {
    out(eventId(gatewayId, stream, r.seq), binaryEvent(stream, r));
    return 1;
  }
  if (t >= 1 && t <= 6) {
    out(eventId(gatewayId, stream, r.seq), jsonEvent(stream, r));
    return 1;
  }
  return 0;
}

/** A JSON bus-event record (types 1..6) with `at` turned into RFC 3339 and the keys in order. */
function jsonEvent(stream: string, r: CodecRecord): BusEvent {
  let v: { type?: unknown; at?: unknown; accountId?: unknown; orderId?: unknown; data?: unknown };
  try {
    v = JSON.parse(r.payload.toString('utf8')) as typeof v;
  } catch (err) {
    throw new BusCodecError(stream, r.seq, 'payload is not JSON', { cause: err });
  }
  if (v === null || typeof v !== 'object' || typeof v.accountId !== 'string' || v.data === null || typeof v.data !== 'object') {
    throw new BusCodecError(stream, r.seq, 'payload is not a bus event');
  }
  const at = typeof v.at === 'number' && Number.isFinite(v.at) ? v.at : r.atMs;
  return {
    type: typeof v.type === 'string' ? v.type : EVENT_TYPE_NAMES[r.type]!,
    at: rfc3339(at),
    accountId: v.accountId,
    orderId: typeof v.orderId === 'string' ? v.orderId : null,
    data: v.data as Record<string, unknown>,
  };
}

/** A binary order event (types 11..13), rendered as its JSON form (orders/events.ts `eventJson`). */
function binaryEvent(stream: string, r: CodecRecord): BusEvent {
  let d;
  try {
    d = decodeBinaryEvent(r.type, r.payload);
  } catch (err) {
    throw new BusCodecError(stream, r.seq, (err as Error).message, { cause: err });
  }
  const type = r.type - BINARY_TYPE_OFFSET;
  const orderId = d.seqId === true ? d.idPrefix! + d.acceptSeq! : d.orderId;
  let data: Record<string, unknown>;
  if (type === EventType.OrderAccepted) {
    const q = d.request!;
    data = {
      acceptSeq: d.acceptSeq,
      clientOrderId: q.clientOrderId,
      expireAt: q.expireAt === 0 ? null : q.expireAt,
      idempotencyKey: d.idempotencyKey,
      price: q.type === OrdType.Market ? null : q.price,
      qty: q.qty,
      side: SIDE(q.side),
      symbol: q.symbol,
      timeInForce: TIF_NAMES[q.timeInForce],
      type: ORD_TYPE(q.type),
    };
  } else if (type === EventType.CancelRequested) {
    data = {};
  } else {
    data = { filledQty: d.filledQty, reason: d.reason ?? null, status: d.status };
  }
  return { type: EVENT_TYPE_NAMES[type]!, at: rfc3339(d.at), accountId: d.accountId, orderId, data };
}

const entry: RingRecord = emptyRecord();

/** The OrderAccepted events of a /v3 batch record (drain/batch-record.ts). */
function batchEvents(gatewayId: string, stream: string, r: CodecRecord, out: EventOut): number {
  const at = rfc3339(r.atMs);
  let index = 0;
  try {
    return forEachEntry(r.payload, entry, (e) => {
      out(eventId(gatewayId, stream, r.seq, index++), {
        type: 'OrderAccepted',
        at,
        accountId: e.accountId,
        orderId: orderIdText(e.orderNo),
        data: {
          clientOrderId: e.clientOrderId,
          expireAt: e.expireAt === 0 ? null : e.expireAt,
          price: e.type === OrdType.Market ? null : e.price,
          qty: e.qty,
          sessionId: e.sessionId,
          sessionSeq: e.sessionSeq,
          side: SIDE(e.side),
          symbol: e.symbol,
          timeInForce: TIF_NAMES[e.timeInForce] ?? 'GTC',
          type: ORD_TYPE(e.type),
        },
      });
    });
  } catch (err) {
    throw new BusCodecError(stream, r.seq, (err as Error).message, { cause: err });
  }
}

/** The order id of a /v3 or binary TCP order number (fastpath `orderId`: its decimal text). */
export function orderIdText(orderNo: number): string {
  return String(orderNo);
}

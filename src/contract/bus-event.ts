/**
 * Contract `bus_event_v1`: the events of orders as they leave the gateway — on the bus (NATS
 * JetStream), in the in-process feed, on SSE streams and in the `/events` routes.
 *
 *   {"type": string, "at": RFC 3339 UTC with ms and Z, "accountId": string, "orderId": string|null, "data": object}
 *
 * Exactly these five keys, in this order (the original's schema has `additionalProperties:false`).
 * The event id is not part of the body: it travels beside it (JetStream's `Nats-Msg-Id` header,
 * the SSE `id:` line of the feed, the in-process delivery) and is stable across restarts and
 * redeliveries, so a consumer dedups on it. Its form is {@link eventId}.
 *
 * Event types and their `data` (keys in alphabetical order, as the journal writes them):
 *
 *   OrderAccepted    {acceptSeq, clientOrderId, expireAt, idempotencyKey, price, qty, side, symbol, timeInForce, type}
 *                    — /v3 and TCP orders carry {clientOrderId, expireAt, price, qty, sessionId, sessionSeq, side,
 *                      symbol, timeInForce, type} instead of acceptSeq/idempotencyKey
 *   CancelRequested  {}
 *   OrderUpdated     {filledQty, reason, status}
 *   OrderSent        {venue}
 *   CancelSent       {venue}
 *   ExecutionReport  {avgPx, cumQty, execId, execType, lastPx, lastQty, leavesQty, reason, side, status, symbol, venue}
 *
 * ExecutionReport is self-contained (symbol and side included) so that a consumer can book a fill
 * without having seen the order's OrderAccepted, which may travel on another journal's stream.
 * A fill is the increase of `cumQty` over the last report the consumer applied for the order;
 * `lastQty`/`lastPx` describe that increase when the venue reports one fill per report.
 * Prices are integer ticks; `avgPx` is a number (it may have a fraction).
 */
import { Ajv } from 'ajv';

export const BUS_EVENT_TYPES = ['OrderAccepted', 'CancelRequested', 'OrderUpdated', 'OrderSent', 'CancelSent', 'ExecutionReport'] as const;
export type BusEventType = (typeof BUS_EVENT_TYPES)[number];

/** FIX ExecType (150) values the gateway reports. */
export const EXEC_TYPES = ['NEW', 'TRADE', 'CANCELED', 'REJECTED', 'EXPIRED', 'REPLACED', 'ORDER_STATUS'] as const;
export type ExecType = (typeof EXEC_TYPES)[number];

export interface BusEvent<D = Record<string, unknown>> {
  type: BusEventType | string;
  /** RFC 3339, UTC, millisecond precision, `Z` */
  at: string;
  accountId: string;
  orderId: string | null;
  data: D;
}

export interface ExecutionReportData {
  avgPx: number;
  cumQty: number;
  execId: string;
  execType: ExecType;
  lastPx: number;
  lastQty: number;
  leavesQty: number;
  reason: string | null;
  side: 'BUY' | 'SELL';
  status: string;
  symbol: string;
  venue: string;
}

export const busEventSchema = {
  $id: 'bus_event_v1',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'at', 'accountId', 'data'],
  properties: {
    type: { type: 'string', minLength: 1 },
    at: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$' },
    accountId: { type: 'string', minLength: 1 },
    orderId: { type: ['string', 'null'] },
    data: { type: 'object' },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
/** Validates a parsed value against `bus_event_v1`. */
export const validateBusEvent = ajv.compile<BusEvent>(busEventSchema);

/**
 * The id of an event: `<gatewayId>.<stream>.<seq>` or `<gatewayId>.<stream>.<seq>.<index>` for
 * the index-th event of a batch record. `gatewayId` identifies the data directory (generated
 * once with it), `stream` the journal (`orders`, `v3-0`, `v3-1`, ...), `seq` the journal record.
 */
export function eventId(gatewayId: string, stream: string, seq: number, index = -1): string {
  return index < 0 ? `${gatewayId}.${stream}.${seq}` : `${gatewayId}.${stream}.${seq}.${index}`;
}

/** RFC 3339 text of an epoch-ms time, as `at` carries it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

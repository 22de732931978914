/**
 * Journal encoding of order events: each record's payload is the event as a `bus_event_v1` JSON
 * object, `{"type","at","accountId","orderId","data"}` (data keys in alphabetical order, as the
 * original gateway wrote them), so the journal can be relayed to a bus as is. The record's
 * journal type is the numeric {@link EventType}.
 *
 *   OrderAccepted    data {acceptSeq, clientOrderId, expireAt, idempotencyKey, price, qty, side, symbol, timeInForce, type}
 *   CancelRequested  data {}
 *   OrderUpdated     data {filledQty, reason, status}
 *
 * Record types 1..99 belong to the order lifecycle; other producers sharing the journal use
 * other numbers, which the order rebuild ignores. The same function renders an event for the
 * journal and for the /events routes, so both always agree.
 */
import { OrdType, Side, TIF_NAMES, TimeInForce, type NewOrder } from '../contract/order.js';
import { DecimalFormatter } from '../lib/decimal.js';
import { EVENT_TYPE_NAMES, EventType, isOrderStatus, type Order, type OrderEvent, type OrderStatus } from './order.js';

/** Highest journal record type owned by the order lifecycle. */
export const MAX_ORDER_RECORD_TYPE = 99;

function str(s: string): string {
  return JSON.stringify(s);
}

function acceptedData(o: Order): string {
  const r = o.request;
  return (
    '{"acceptSeq":' + o.acceptSeq +
    ',"clientOrderId":' + (r.clientOrderId === null ? 'null' : str(r.clientOrderId)) +
    ',"expireAt":' + (r.expireAt === 0 ? 'null' : r.expireAt) +
    ',"idempotencyKey":' + str(o.idempotencyKey) +
    ',"price":' + (r.type === OrdType.Market ? 'null' : r.price) +
    ',"qty":' + r.qty +
    ',"side":' + (r.side === Side.Buy ? '"BUY"' : '"SELL"') +
    ',"symbol":' + str(r.symbol) +
    ',"timeInForce":"' + TIF_NAMES[r.timeInForce] +
    '","type":' + (r.type === OrdType.Limit ? '"LIMIT"' : '"MARKET"') +
    '}'
  );
}

/** Epoch-ms timestamps are beyond V8's small-integer range: format them without its slow path. */
const atText = new DecimalFormatter();

/** The event as a bus_event_v1 JSON object (ASCII unless an id holds non-ASCII text). */
export function eventJson(e: OrderEvent, accountIdJson: string = str(e.order.accountId)): string {
  let data: string;
  switch (e.type) {
    case EventType.OrderAccepted:
      data = acceptedData(e.order);
      break;
    case EventType.CancelRequested:
      data = '{}';
      break;
    case EventType.OrderSent:
    case EventType.CancelSent:
    case EventType.ExecutionReport:
      data = e.data ?? '{}';
      break;
    default:
      data = '{"filledQty":' + e.filledQty + ',"reason":' + (e.reason === null ? 'null' : str(e.reason)) + ',"status":"' + e.status + '"}';
  }
  return '{"type":"' + EVENT_TYPE_NAMES[e.type] + '","at":' + atText.format(e.at) + ',"accountId":' + accountIdJson + ',"orderId":' + str(e.order.orderId) + ',"data":' + data + '}';
}

/** A decoded event record (recovery). */
export interface DecodedEvent {
  type: EventType;
  at: number;
  accountId: string;
  orderId: string;
  /** OrderAccepted */
  request?: NewOrder;
  /** the id's prefix when it is `<prefix><acceptSeq>` (fast decoding; a shared string) */
  idPrefix?: string;
  /**
   * True when the record itself says the id is `<idPrefix><acceptSeq>` (binary form): `orderId`
   * is then left empty, so recovery builds no id string per order.
   */
  seqId?: boolean;
  acceptSeq?: number;
  idempotencyKey?: string;
  /** OrderUpdated, ExecutionReport (cumQty) */
  status?: OrderStatus;
  filledQty?: number;
  reason?: string | null;
  /** venue events: their `data` object as JSON text */
  data?: string;
}

export class EventDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventDecodeError';
  }
}

function fail(what: string): never {
  throw new EventDecodeError(what);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Decodes the payload of an order-lifecycle record. Throws {@link EventDecodeError} when the
 * payload is not a well-formed event of that type (the journal's CRC and chain passed, so this
 * means a record written by an incompatible version).
 */
export function decodeEvent(type: number, json: string): DecodedEvent {
  let v: any;
  try {
    v = JSON.parse(json);
  } catch {
    fail('payload is not JSON');
  }
  if (v === null || typeof v !== 'object') fail('payload is not an object');
  const at = v.at;
  const accountId = v.accountId;
  const orderId = v.orderId;
  if (!isInt(at) || typeof accountId !== 'string' || typeof orderId !== 'string') fail('missing at/accountId/orderId');
  const d = v.data;
  if (d === null || typeof d !== 'object') fail('missing data');
  switch (type) {
    case EventType.OrderAccepted: {
      const side = d.side === 'BUY' ? Side.Buy : d.side === 'SELL' ? Side.Sell : fail('bad side');
      const ot = d.type === 'LIMIT' ? OrdType.Limit : d.type === 'MARKET' ? OrdType.Market : fail('bad type');
      const tif = d.timeInForce === 'GTC' ? TimeInForce.GTC : d.timeInForce === 'GTD' ? TimeInForce.GTD : fail('bad timeInForce');
      if (!isInt(d.qty) || !isInt(d.acceptSeq) || typeof d.symbol !== 'string' || typeof d.idempotencyKey !== 'string') fail('bad OrderAccepted data');
      const price = d.price === null ? 0 : isInt(d.price) ? d.price : fail('bad price');
      const expireAt = d.expireAt === null ? 0 : isInt(d.expireAt) ? d.expireAt : fail('bad expireAt');
      const coid = d.clientOrderId === null ? null : typeof d.clientOrderId === 'string' ? d.clientOrderId : fail('bad clientOrderId');
      return {
        type,
        at,
        accountId,
        orderId,
        acceptSeq: d.acceptSeq,
        idempotencyKey: d.idempotencyKey,
        request: { symbol: d.symbol, side, type: ot, qty: d.qty, price, timeInForce: tif, expireAt, clientOrderId: coid },
      };
    }
    case EventType.CancelRequested:
      return { type, at, accountId, orderId };
    case EventType.OrderSent:
    case EventType.CancelSent: {
      if (typeof d.venue !== 'string') fail('bad venue event data');
      return { type, at, accountId, orderId, data: JSON.stringify(d) };
    }
    case EventType.ExecutionReport: {
      if (!isOrderStatus(d.status) || !isInt(d.cumQty) || typeof d.venue !== 'string') fail('bad ExecutionReport data');
      const reason = d.reason === null || d.reason === undefined ? null : typeof d.reason === 'string' ? d.reason : fail('bad reason');
      return { type, at, accountId, orderId, status: d.status, filledQty: d.cumQty, reason, data: JSON.stringify(d) };
    }
    case EventType.OrderUpdated: {
      if (!isOrderStatus(d.status) || !isInt(d.filledQty)) fail('bad OrderUpdated data');
      const reason = d.reason === null || d.reason === undefined ? null : typeof d.reason === 'string' ? d.reason : fail('bad reason');
      return { type, at, accountId, orderId, status: d.status, filledQty: d.filledQty, reason };
    }
    default:
      return fail(`unknown order record type ${type}`);
  }
}

// ---- fast decoding (recovery) --------------------------------------------------------------
//
// Recovery decodes every record, so it reads the payloads this module writes straight from the
// journal's read buffer: fields in the fixed order `eventJson` writes them, ASCII strings
// without escapes. Anything else (an escaped or non-ASCII string, another key order) falls back
// to JSON.parse, so the fast path only has to be right, not complete.

let B: Buffer = Buffer.alloc(0);
let P = 0;
let E = 0;

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const L_OPEN = enc('{"type":"');
const L_AT = enc('","at":');
const L_ACCOUNT = enc(',"accountId":"');
const L_ORDER = enc(',"orderId":"');
const L_DATA = enc(',"data":{');
const L_ACCEPT_SEQ = enc('"acceptSeq":');
const L_COID = enc(',"clientOrderId":');
const L_EXPIRE = enc(',"expireAt":');
const L_KEY = enc(',"idempotencyKey":"');
const L_PRICE = enc(',"price":');
const L_QTY = enc(',"qty":');
const L_SIDE = enc(',"side":"');
const L_SYMBOL = enc(',"symbol":"');
const L_TIF = enc(',"timeInForce":"');
const L_TYPE = enc(',"type":"');
const L_FILLED = enc('"filledQty":');
const L_REASON = enc(',"reason":');
const L_STATUS = enc(',"status":"');
const L_NULL = enc('null');
const TYPE_NAMES_BYTES: Readonly<Record<number, Uint8Array>> = {
  [EventType.OrderAccepted]: enc('OrderAccepted'),
  [EventType.CancelRequested]: enc('CancelRequested'),
  [EventType.OrderUpdated]: enc('OrderUpdated'),
};

function lit(l: Uint8Array): boolean {
  const n = l.length;
  if (P + n > E) return false;
  for (let i = 0; i < n; i++) if (B[P + i] !== l[i]) return false;
  P += n;
  return true;
}

/** A non-negative integer (at most 15 digits), or -1. */
function int(): number {
  let n = 0;
  const s = P;
  while (P < E) {
    const c = B[P]! - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    P++;
  }
  return P === s || P - s > 15 ? -1 : n;
}

/** Moves past the rest of a string whose opening quote was consumed; its end, or -1 if escaped or non-ASCII. */
function skipString(): number {
  while (P < E) {
    const c = B[P]!;
    if (c === 34) return P++;
    if (c === 92 || c >= 0x80) return -1;
    P++;
  }
  return -1;
}

/** The rest of a string whose opening quote was consumed; null if escaped or non-ASCII. */
function rest(): string | null {
  const s = P;
  const e = skipString();
  return e < 0 ? null : B.toString('latin1', s, e);
}

function equalsAt(s: number, e: number, str: string): boolean {
  if (e - s !== str.length) return false;
  for (let i = 0; i < str.length; i++) if (B[s + i] !== str.charCodeAt(i)) return false;
  return true;
}

/**
 * Strings that repeat from record to record (account ids, symbols, id prefixes) are taken from
 * a small cache instead of being cut from the buffer again, so the orders rebuilt by recovery
 * share them.
 */
class StringCache {
  private readonly items: string[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  get(s: number, e: number): string {
    const items = this.items;
    for (let i = 0; i < items.length; i++) if (equalsAt(s, e, items[i]!)) return items[i]!;
    const v = B.toString('latin1', s, e);
    if (items.length < this.size) items.push(v);
    else {
      items[this.next] = v;
      this.next = (this.next + 1) % this.size;
    }
    return v;
  }
}

const accounts = new StringCache(16);
const symbols = new StringCache(16);
const prefixes = new StringCache(4);

/** The rest of a string, from `cache`; null if escaped or non-ASCII. */
function cached(cache: StringCache): string | null {
  const s = P;
  const e = skipString();
  return e < 0 ? null : cache.get(s, e);
}

/** The rest of a string that must be one of `names` (returned as the constant); null otherwise. */
function oneOf<T extends string>(names: readonly T[]): T | null {
  const s = P;
  const e = skipString();
  if (e < 0) return null;
  for (const n of names) if (equalsAt(s, e, n)) return n;
  return null;
}

const SIDES = ['BUY', 'SELL'] as const;
const TIFS = ['GTC', 'GTD'] as const;
const TYPES = ['LIMIT', 'MARKET'] as const;
const STATUSES: readonly OrderStatus[] = ['ACCEPTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCEL_REQUESTED', 'CANCELED', 'REJECTED', 'EXPIRED'];

/** Reads an order id; sets `idPrefix` when it is `<prefix><digits>`. */
let idPrefix: string | undefined;
function orderIdString(): string | null {
  const s = P;
  const e = skipString();
  if (e < 0) return null;
  let u = e - 1;
  while (u > s && B[u]! >= 48 && B[u]! <= 57) u--;
  idPrefix = B[u] === 95 /* _ */ && u < e - 1 ? prefixes.get(s, u + 1) : undefined;
  return B.toString('latin1', s, e);
}

function nullOr(kind: 'int'): number | null | undefined;
function nullOr(kind: 'str'): string | null | undefined;
function nullOr(kind: 'int' | 'str'): number | string | null | undefined {
  if (lit(L_NULL)) return null;
  if (kind === 'int') {
    const n = int();
    return n < 0 ? undefined : n;
  }
  if (B[P] !== 34) return undefined;
  P++;
  return rest() ?? undefined;
}

function fastDecode(type: number, buf: Buffer): DecodedEvent | null {
  B = buf;
  P = 0;
  E = buf.length;
  const name = TYPE_NAMES_BYTES[type];
  if (name === undefined || !lit(L_OPEN) || !lit(name) || !lit(L_AT)) return null;
  const at = int();
  if (at < 0 || !lit(L_ACCOUNT)) return null;
  const accountId = cached(accounts);
  if (accountId === null || !lit(L_ORDER)) return null;
  const orderId = orderIdString();
  if (orderId === null || !lit(L_DATA)) return null;
  switch (type) {
    case EventType.OrderAccepted: {
      if (!lit(L_ACCEPT_SEQ)) return null;
      const acceptSeq = int();
      if (acceptSeq < 0 || !lit(L_COID)) return null;
      const coid = nullOr('str');
      if (coid === undefined || !lit(L_EXPIRE)) return null;
      const expireAt = nullOr('int');
      if (expireAt === undefined || !lit(L_KEY)) return null;
      const ks = P;
      const ke = skipString();
      if (ke < 0 || !lit(L_PRICE)) return null;
      // Usually the key is the clientOrderId: one string for both.
      const key = coid !== null && equalsAt(ks, ke, coid) ? coid : B.toString('latin1', ks, ke);
      const price = nullOr('int');
      if (price === undefined || !lit(L_QTY)) return null;
      const qty = int();
      if (qty < 0 || !lit(L_SIDE)) return null;
      const side = oneOf(SIDES);
      if (side === null || !lit(L_SYMBOL)) return null;
      const symbol = cached(symbols);
      if (symbol === null || !lit(L_TIF)) return null;
      const tif = oneOf(TIFS);
      if (tif === null || !lit(L_TYPE)) return null;
      const ot = oneOf(TYPES);
      if (ot === null || P + 2 !== E || B[P] !== 125 || B[P + 1] !== 125) return null;
      const s = side === 'BUY' ? Side.Buy : Side.Sell;
      const o = ot === 'LIMIT' ? OrdType.Limit : OrdType.Market;
      const t = tif === 'GTC' ? TimeInForce.GTC : TimeInForce.GTD;
      return {
        type,
        at,
        accountId,
        orderId,
        idPrefix,
        acceptSeq,
        idempotencyKey: key,
        request: { symbol, side: s, type: o, qty, price: price ?? 0, timeInForce: t, expireAt: expireAt ?? 0, clientOrderId: coid },
      };
    }
    case EventType.CancelRequested:
      return P + 2 === E && B[P] === 125 && B[P + 1] === 125 ? { type, at, accountId, orderId } : null;
    case EventType.OrderUpdated: {
      if (!lit(L_FILLED)) return null;
      const filledQty = int();
      if (filledQty < 0 || !lit(L_REASON)) return null;
      const reason = nullOr('str');
      if (reason === undefined || !lit(L_STATUS)) return null;
      const status = oneOf(STATUSES);
      if (status === null || P + 2 !== E || B[P] !== 125 || B[P + 1] !== 125) return null;
      return { type, at, accountId, orderId, status, filledQty, reason };
    }
    default:
      return null;
  }
}

/**
 * Decodes an order-lifecycle record's payload bytes (recovery): the fast reader above, else
 * {@link decodeEvent}. Throws EventDecodeError for a payload that is not a valid event.
 */
export function decodeEventBytes(type: number, payload: Buffer): DecodedEvent {
  const d = fastDecode(type, payload);
  B = EMPTY_BUF; // do not pin the journal's read buffer
  return d ?? decodeEvent(type, payload.toString('utf8'));
}

const EMPTY_BUF = Buffer.alloc(0);

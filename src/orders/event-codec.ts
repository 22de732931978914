/**
 * Binary journal encoding of order events (record types 11–13 = event type + 10). Recovery reads
 * every record of the journal, and the JSON form (events.ts, types 1–3, still read) cost most of
 * the replay time and most of the bytes: this form is about a third of the size and is decoded
 * at fixed offsets. The JSON form remains the wire format (`bus_event_v1`) of the /events routes
 * and the bus; both are rendered from the same event.
 *
 * Layout (little-endian; strings are u16 byte length + UTF-8):
 *
 *   all:             u8 version (1) | f64 at | str accountId | u8 idKind | str idText
 *                    idKind 1 (OrderAccepted only): the order id is idText + acceptSeq
 *                    idKind 0: idText is the whole order id
 *   OrderAccepted:   f64 acceptSeq | f64 qty | f64 price (0 = none) | f64 expireAt (0 = none)
 *                    | u8 side | u8 type | u8 timeInForce | u8 keyKind | str symbol
 *                    | [str clientOrderId if keyKind & 1] | [str idempotencyKey unless keyKind & 2]
 *                    keyKind bit 0: clientOrderId present; bit 1: the key is the clientOrderId
 *   CancelRequested: (nothing more)
 *   OrderUpdated:    f64 filledQty | u8 status index | u8 hasReason | [str reason]
 */
import type { NewOrder } from '../contract/order.js';
import { type DecodedEvent, EventDecodeError } from './events.js';
import { EventType, ORDER_STATUSES, type OrderEvent, statusIndex } from './order.js';

/** Record type of the binary form of an event type. */
export const BINARY_TYPE_OFFSET = 10;
const VERSION = 1;

// ---- encoding ----------------------------------------------------------------------------------

/** Writes `s` as u16 length + UTF-8; ASCII (the usual case) without a native call. */
function putStr(b: Buffer, at: number, s: string): number {
  const n = s.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    b[at + 2 + i] = c;
  }
  if (ascii) {
    b[at] = n & 0xff;
    b[at + 1] = n >>> 8;
    return at + 2 + n;
  }
  const w = b.write(s, at + 2, 'utf8');
  b[at] = w & 0xff;
  b[at + 1] = w >>> 8;
  return at + 2 + w;
}

/** Upper bound of the encoded size of `e` (for sizing the scratch buffer). */
export function maxEncodedBytes(e: OrderEvent): number {
  const o = e.order;
  let n = 64 + 3 * (o.accountId.length + o.idBaseText.length) + 3 * 16;
  if (e.type === EventType.OrderAccepted) n += 3 * (o.request.symbol.length + (o.request.clientOrderId?.length ?? 0) + o.idempotencyKey.length);
  if (e.reason !== null) n += 3 * e.reason.length;
  return n;
}

/** Encodes `e` into `b` from offset 0 (room: {@link maxEncodedBytes}); returns the length. */
export function encodeEvent(e: OrderEvent, b: Buffer): number {
  const o = e.order;
  b[0] = VERSION;
  b.writeDoubleLE(e.at, 1);
  let p = putStr(b, 9, o.accountId);
  // Only OrderAccepted carries the acceptSeq the id is rebuilt from; later events name the order in full.
  const bySeq = e.type === EventType.OrderAccepted && o.seqId;
  b[p++] = bySeq ? 1 : 0;
  p = putStr(b, p, bySeq ? o.idBaseText : o.orderId);
  switch (e.type) {
    case EventType.OrderAccepted: {
      const r = o.request;
      b.writeDoubleLE(o.acceptSeq, p);
      b.writeDoubleLE(r.qty, p + 8);
      b.writeDoubleLE(r.price, p + 16);
      b.writeDoubleLE(r.expireAt, p + 24);
      b[p + 32] = r.side;
      b[p + 33] = r.type;
      b[p + 34] = r.timeInForce;
      const coid = r.clientOrderId;
      const keyIsCoid = coid !== null && coid === o.idempotencyKey;
      b[p + 35] = (coid !== null ? 1 : 0) | (keyIsCoid ? 2 : 0);
      p = putStr(b, p + 36, r.symbol);
      if (coid !== null) p = putStr(b, p, coid);
      if (!keyIsCoid) p = putStr(b, p, o.idempotencyKey);
      return p;
    }
    case EventType.CancelRequested:
      return p;
    default: {
      b.writeDoubleLE(e.filledQty, p);
      b[p + 8] = statusIndex(e.status!);
      if (e.reason === null) {
        b[p + 9] = 0;
        return p + 10;
      }
      b[p + 9] = 1;
      return putStr(b, p + 10, e.reason);
    }
  }
}

// ---- decoding ----------------------------------------------------------------------------------

/** Small cache for strings that repeat from record to record (accounts, symbols, id prefixes). */
class Strings {
  private readonly keys: Buffer[] = [];
  private readonly values: string[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  get(b: Buffer, s: number, n: number): string {
    const keys = this.keys;
    outer: for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k.length !== n) continue;
      for (let j = 0; j < n; j++) if (k[j] !== b[s + j]) continue outer;
      return this.values[i]!;
    }
    const v = b.toString('utf8', s, s + n);
    const copy = Buffer.from(b.subarray(s, s + n));
    if (keys.length < this.size) {
      keys.push(copy);
      this.values.push(v);
    } else {
      keys[this.next] = copy;
      this.values[this.next] = v;
      this.next = (this.next + 1) % this.size;
    }
    return v;
  }
}

const accounts = new Strings(32);
const symbols = new Strings(32);
const prefixes = new Strings(8);

/** Read position and end of the record being decoded (one decode at a time, synchronous). */
let P = 0;
let E = 0;

function fail(what: string): never {
  throw new EventDecodeError(what);
}

function strLen(b: Buffer): number {
  if (P + 2 > E) fail('truncated string length');
  const n = b[P]! | (b[P + 1]! << 8);
  P += 2;
  if (P + n > E) fail('truncated string');
  return n;
}

/**
 * A string of the record. Keys and client order ids are short and nearly always ASCII: those
 * are read as latin1 (no UTF-8 validation), the rest as UTF-8.
 */
function str(b: Buffer): string {
  const n = strLen(b);
  const s = P;
  P += n;
  for (let i = s; i < P; i++) if (b[i]! > 0x7f) return b.toString('utf8', s, P);
  return b.toString('latin1', s, P);
}

function cached(b: Buffer, c: Strings): string {
  const n = strLen(b);
  const v = c.get(b, P, n);
  P += n;
  return v;
}

function f64(b: Buffer): number {
  if (P + 8 > E) fail('truncated number');
  const v = b.readDoubleLE(P);
  P += 8;
  return v;
}

const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/**
 * Decodes a binary event record (type 11–13) held in `b[start, end)` (default: all of `b`).
 * Throws EventDecodeError when malformed.
 */
export function decodeBinaryEvent(recordType: number, b: Buffer, start = 0, end = b.length): DecodedEvent {
  const type = recordType - BINARY_TYPE_OFFSET;
  if (end - start < 1 || b[start] !== VERSION) fail(`unknown binary event version ${b[start]}`);
  P = start + 1;
  E = end;
  const at = f64(b);
  if (!isCount(at)) fail('bad at');
  const accountId = cached(b, accounts);
  if (P >= E) fail('truncated order id');
  const idKind = b[P++]!;
  if (idKind > 1) fail('bad id kind');
  const idText = idKind === 1 ? cached(b, prefixes) : str(b);
  switch (type) {
    case EventType.OrderAccepted: {
      if (P + 36 > E) fail('truncated OrderAccepted');
      const acceptSeq = b.readDoubleLE(P);
      const qty = b.readDoubleLE(P + 8);
      const price = b.readDoubleLE(P + 16);
      const expireAt = b.readDoubleLE(P + 24);
      if (!isCount(acceptSeq) || acceptSeq < 1 || !isCount(qty) || !isCount(price) || !isCount(expireAt)) fail('bad OrderAccepted numbers');
      const side = b[P + 32]!;
      const ot = b[P + 33]!;
      const tif = b[P + 34]!;
      const keyKind = b[P + 35]!;
      P += 36;
      if (side < 1 || side > 2 || ot < 1 || ot > 2 || tif < 1 || tif > 2 || keyKind > 3 || keyKind === 2) fail('bad OrderAccepted enums');
      const symbol = cached(b, symbols);
      const coid = (keyKind & 1) !== 0 ? str(b) : null;
      const key = (keyKind & 2) !== 0 ? coid! : str(b);
      if (P !== E) fail('bytes after OrderAccepted');
      const request: NewOrder = { symbol, side, type: ot, qty, price, timeInForce: tif, expireAt, clientOrderId: coid };
      return {
        type,
        at,
        accountId,
        orderId: idKind === 1 ? '' : idText,
        idPrefix: idKind === 1 ? idText : undefined,
        seqId: idKind === 1,
        acceptSeq,
        idempotencyKey: key,
        request,
      };
    }
    case EventType.CancelRequested:
      if (P !== E) fail('bytes after CancelRequested');
      return { type, at, accountId, orderId: idKind === 1 ? fail('CancelRequested needs the whole order id') : idText };
    case EventType.OrderUpdated: {
      const filledQty = f64(b);
      if (!isCount(filledQty) || P + 2 > E) fail('bad OrderUpdated');
      const si = b[P]!;
      const hasReason = b[P + 1]!;
      P += 2;
      if (si >= ORDER_STATUSES.length || hasReason > 1) fail('bad OrderUpdated status');
      const reason = hasReason === 1 ? str(b) : null;
      if (P !== E) fail('bytes after OrderUpdated');
      return { type, at, accountId, orderId: idKind === 1 ? fail('OrderUpdated needs the whole order id') : idText, status: ORDER_STATUSES[si]!, filledQty, reason };
    }
    default:
      fail(`unknown event record type ${recordType}`);
  }
}

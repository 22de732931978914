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

/**
 * Direct-mapped cache of short strings that repeat from record to record (accounts, symbols,
 * id prefixes), looked up by a hash of their bytes and checked byte by byte against the cached
 * string, so a hit makes no string. Only ASCII strings are cached (their bytes are their char
 * codes); a collision just replaces the entry.
 */
class StringCache {
  private readonly values: string[];
  private readonly mask: number;
  constructor(slots: number) {
    this.values = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  get(b: Buffer, s: number, n: number): string {
    let h = n;
    let ascii = 0;
    for (let j = s; j < s + n; j++) {
      const c = b[j]!;
      h = Math.imul(h ^ c, 0x01000193);
      ascii |= c;
    }
    if (ascii > 0x7f) return b.toString('utf8', s, s + n);
    const slot = (h ^ (h >>> 15)) & this.mask;
    const v = this.values[slot]!;
    if (v.length === n) {
      let j = 0;
      while (j < n && v.charCodeAt(j) === b[s + j]) j++;
      if (j === n) return v;
    }
    const fresh = latin1(b, s, s + n);
    this.values[slot] = fresh;
    return fresh;
  }
}

/** Buffer's latin1 slice without `toString`'s argument handling (its own method where present). */
const latin1: (b: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (b, s, e) => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);

function fail(what: string): never {
  throw new EventDecodeError(what);
}

const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/**
 * Decoding state: the bytes, the read position and the end of the record being decoded (one
 * decode at a time, synchronous), and a DataView over the bytes' ArrayBuffer for the numbers.
 */
class Decoder {
  private b: Buffer = Buffer.alloc(0);
  private p = 0;
  private e = 0;
  private ab: ArrayBufferLike | null = null;
  private dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
  private readonly accounts = new StringCache(1024);
  private readonly symbols = new StringCache(1024);
  private readonly prefixes = new StringCache(64);

  decode(recordType: number, b: Buffer, start: number, end: number): DecodedEvent {
    const type = recordType - BINARY_TYPE_OFFSET;
    if (end - start < 1 || b[start] !== VERSION) fail(`unknown binary event version ${b[start]}`);
    if (end > b.length || start < 0) throw new RangeError('record bounds outside the buffer');
    this.b = b;
    this.p = start + 1;
    this.e = end;
    if (b.buffer !== this.ab) {
      this.ab = b.buffer;
      this.dv = new DataView(b.buffer);
    }
    const at = this.f64();
    if (!isCount(at)) fail('bad at');
    const accountId = this.cached(this.accounts);
    if (this.p >= end) fail('truncated order id');
    const idKind = b[this.p++]!;
    if (idKind > 1) fail('bad id kind');
    const idText = idKind === 1 ? this.cached(this.prefixes) : this.str();
    switch (type) {
      case EventType.OrderAccepted: {
        const p = this.p;
        if (p + 36 > end) fail('truncated OrderAccepted');
        const dv = this.dv;
        const o = b.byteOffset + p;
        const acceptSeq = dv.getFloat64(o, true);
        const qty = dv.getFloat64(o + 8, true);
        const price = dv.getFloat64(o + 16, true);
        const expireAt = dv.getFloat64(o + 24, true);
        if (!isCount(acceptSeq) || acceptSeq < 1 || !isCount(qty) || !isCount(price) || !isCount(expireAt)) fail('bad OrderAccepted numbers');
        const side = b[p + 32]!;
        const ot = b[p + 33]!;
        const tif = b[p + 34]!;
        const keyKind = b[p + 35]!;
        this.p = p + 36;
        if (side < 1 || side > 2 || ot < 1 || ot > 2 || tif < 1 || tif > 2 || keyKind > 3 || keyKind === 2) fail('bad OrderAccepted enums');
        const symbol = this.cached(this.symbols);
        const coid = (keyKind & 1) !== 0 ? this.str() : null;
        const key = (keyKind & 2) !== 0 ? coid! : this.str();
        if (this.p !== end) fail('bytes after OrderAccepted');
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
        if (this.p !== end) fail('bytes after CancelRequested');
        return { type, at, accountId, orderId: idKind === 1 ? fail('CancelRequested needs the whole order id') : idText };
      case EventType.OrderUpdated: {
        const filledQty = this.f64();
        const p = this.p;
        if (!isCount(filledQty) || p + 2 > end) fail('bad OrderUpdated');
        const si = b[p]!;
        const hasReason = b[p + 1]!;
        this.p = p + 2;
        if (si >= ORDER_STATUSES.length || hasReason > 1) fail('bad OrderUpdated status');
        const reason = hasReason === 1 ? this.str() : null;
        if (this.p !== end) fail('bytes after OrderUpdated');
        return { type, at, accountId, orderId: idKind === 1 ? fail('OrderUpdated needs the whole order id') : idText, status: ORDER_STATUSES[si]!, filledQty, reason };
      }
      default:
        fail(`unknown event record type ${recordType}`);
    }
  }

  release(): void {
    this.b = Buffer.alloc(0);
    this.ab = null;
    this.dv = new DataView(new ArrayBuffer(8));
  }

  private f64(): number {
    const p = this.p;
    if (p + 8 > this.e) fail('truncated number');
    this.p = p + 8;
    return this.dv.getFloat64(this.b.byteOffset + p, true);
  }

  private strLen(): number {
    const p = this.p;
    if (p + 2 > this.e) fail('truncated string length');
    const n = this.b[p]! | (this.b[p + 1]! << 8);
    this.p = p + 2;
    if (p + 2 + n > this.e) fail('truncated string');
    return n;
  }

  /**
   * A string of the record. Keys and client order ids are short and nearly always ASCII: those
   * are read as latin1 (no UTF-8 validation), the rest as UTF-8.
   */
  private str(): string {
    const n = this.strLen();
    const b = this.b;
    const s = this.p;
    const e = s + n;
    this.p = e;
    for (let i = s; i < e; i++) if (b[i]! > 0x7f) return b.toString('utf8', s, e);
    return latin1(b, s, e);
  }

  private cached(c: StringCache): string {
    const n = this.strLen();
    const v = c.get(this.b, this.p, n);
    this.p += n;
    return v;
  }
}

const decoder = new Decoder();

/** Drops the decoder's references to the last bytes it read (a recovery's read chunk). */
export function releaseDecodeBuffers(): void {
  decoder.release();
}

/**
 * Decodes a binary event record (type 11–13) held in `b[start, end)` (default: all of `b`).
 * Throws EventDecodeError when malformed.
 */
export function decodeBinaryEvent(recordType: number, b: Buffer, start = 0, end = b.length): DecodedEvent {
  return decoder.decode(recordType, b, start, end);
}

/**
 * Journal encoding of accepted /v3 orders. The drain side journals what it reads from a shard's
 * ring in batches: one journal record (type {@link V3_BATCH_RECORD_TYPE}) holds every order of
 * one drain pass, so the HMAC chain and the checksum are paid once per batch, not once per order.
 *
 * Payload (little-endian):
 *
 *   u32 count
 *   count × entry:
 *     0   u8[56]  the ring slot's fixed part, as is (orderNo, sessionSeq, receivedAtNs, price,
 *                 expireAt, qty, side, type, timeInForce, symbolLen, accountLen, sessionLen,
 *                 clientIdLen, reserved; see ingress-ring.ts)
 *     56  u8[s]   symbol         (s = symbolLen)
 *         u8[a]   accountId      (a = accountLen)
 *         u8[e]   sessionId      (e = sessionLen)
 *         u8[c]   clientOrderId  (c = clientIdLen, 0 = none)
 *
 * Encoding copies bytes out of the shared slots without decoding them; decoding is for recovery
 * and offline tools.
 */
import type { RingRecord } from '../fastpath/ingress-ring.js';

export const V3_BATCH_RECORD_TYPE = 300;
const FIXED = 56;

export class BatchFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchFormatError';
  }
}

/** Bytes of the entry for the slot at `off` in `slots`. */
export function entryBytes(slots: Uint8Array, off: number): number {
  return FIXED + slots[off + 47]! + slots[off + 48]! + slots[off + 49]! + slots[off + 50]!;
}

/**
 * Appends the slot at `off` to `out` at `at` (the caller made room: {@link entryBytes}).
 * Returns the offset after it.
 */
export function copyEntry(slots: Uint8Array, off: number, out: Uint8Array, at: number): number {
  out.set(slots.subarray(off, off + FIXED), at);
  at += FIXED;
  at = copyBytes(slots, off + 56, slots[off + 47]!, out, at);
  at = copyBytes(slots, off + 64, slots[off + 48]!, out, at);
  at = copyBytes(slots, off + 128, slots[off + 49]!, out, at);
  return copyBytes(slots, off + 192, slots[off + 50]!, out, at);
}

function copyBytes(src: Uint8Array, from: number, n: number, out: Uint8Array, at: number): number {
  for (let i = 0; i < n; i++) out[at + i] = src[from + i]!;
  return at + n;
}

const latin1 = (b: Uint8Array, s: number, n: number): string => Buffer.from(b.buffer, b.byteOffset + s, n).toString('latin1');

/**
 * Calls `onEntry` for every order of a batch payload. `rec` is reused between calls. When
 * `sessionsOnly` is set only orderNo, sessionSeq and sessionId are filled in (recovery).
 * Throws {@link BatchFormatError} for a payload that does not hold exactly `count` entries.
 */
/**
 * Decodes every entry of a batch payload into `rec` and calls `onEntry`. With `sessionsOnly`,
 * only orderNo, sessionSeq and sessionId are decoded — except for entries whose orderNo is above
 * `fullAbove`, which are decoded in full.
 */
export function forEachEntry(payload: Uint8Array, rec: RingRecord, onEntry: (r: RingRecord) => void, sessionsOnly = false, fullAbove = Number.POSITIVE_INFINITY): number {
  if (payload.length < 4) throw new BatchFormatError('batch payload shorter than its count');
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = dv.getUint32(0, true);
  let p = 4;
  let prevSession = -1;
  let prevLen = -1;
  for (let i = 0; i < count; i++) {
    if (p + FIXED > payload.length) throw new BatchFormatError(`batch entry ${i} is truncated`);
    const sl = payload[p + 47]!;
    const al = payload[p + 48]!;
    const el = payload[p + 49]!;
    const cl = payload[p + 50]!;
    const end = p + FIXED + sl + al + el + cl;
    if (end > payload.length) throw new BatchFormatError(`batch entry ${i} is truncated`);
    rec.orderNo = dv.getFloat64(p, true);
    rec.sessionSeq = dv.getFloat64(p + 8, true);
    const ses = p + FIXED + sl + al;
    // Consecutive entries usually share a session: keep the string when the bytes match.
    if (!(el === prevLen && sameBytes(payload, ses, prevSession, el))) rec.sessionId = latin1(payload, ses, el);
    prevSession = ses;
    prevLen = el;
    if (!sessionsOnly || rec.orderNo > fullAbove) {
      rec.receivedAtNs = dv.getFloat64(p + 16, true);
      rec.price = dv.getFloat64(p + 24, true);
      rec.expireAt = dv.getFloat64(p + 32, true);
      rec.qty = dv.getUint32(p + 40, true);
      rec.side = payload[p + 44]!;
      rec.type = payload[p + 45]!;
      rec.timeInForce = payload[p + 46]!;
      rec.symbol = latin1(payload, p + FIXED, sl);
      rec.accountId = latin1(payload, p + FIXED + sl, al);
      rec.clientOrderId = cl === 0 ? null : latin1(payload, ses + el, cl);
    }
    onEntry(rec);
    p = end;
  }
  if (p !== payload.length) throw new BatchFormatError('batch payload has bytes after its last entry');
  return count;
}

function sameBytes(b: Uint8Array, x: number, y: number, n: number): boolean {
  if (y < 0) return false;
  for (let i = 0; i < n; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

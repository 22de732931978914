/**
 * On-disk format of the journal: segment names, the 64-byte segment header, the record layout,
 * and the HMAC chain. docs/journal.md describes the same layout byte by byte; keep both in step.
 *
 * All integers are little-endian. Sequence numbers and timestamps are stored as u64 but handled
 * as JS numbers, so values above Number.MAX_SAFE_INTEGER (2^53 - 1) are rejected as corrupt.
 *
 * Segment file (`<firstSeq as 20 decimal digits>.seg`):
 *
 *   [segment header, 64 bytes][record][record]...
 *
 * Segment header:
 *   0  u8[4]  magic "SWJS"
 *   4  u16    format version (1)
 *   6  u16    header length (64)
 *   8  u64    firstSeq: seq of the first record of this segment
 *   16 u64    createdAtMs
 *   24 u8[32] prevHash: chain hash of record firstSeq-1 (32 zero bytes when firstSeq == 1)
 *   56 u32    reserved (0)
 *   60 u32    CRC-32C of bytes [0, 60)
 *
 * Record (total length = 64 + keyIdLen + payloadLen):
 *   0      u32    totalLen (whole record, this field and the trailing CRC included)
 *   4      u64    seq
 *   12     u64    atMs
 *   20     u16    type (opaque to the journal)
 *   22     u8     keyIdLen (1..255)
 *   23     u8     marker 0xA5
 *   24     u32    payloadLen
 *   28     u8[k]  keyId (UTF-8)
 *   28+k   u8[p]  payload
 *   28+k+p u8[32] hash = HMAC-SHA256(key[keyId], prevHash || bytes[0, 28+k+p))
 *   60+k+p u32    CRC-32C of bytes [0, 60+k+p)
 */
import { getU16, getU32, getU64, putU16, putU32, putU64 } from '@switchyard/protocol';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { crc32c } from './crc32c.js';

export const SEGMENT_MAGIC = 0x534a5753; // "SWJS" read as a little-endian u32
export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 64;
export const RECORD_OVERHEAD = 64;
export const RECORD_FIXED_BYTES = 28;
export const RECORD_MARKER = 0xa5;
export const HASH_BYTES = 32;
/** Largest payload accepted by the writer and believed by the reader (16 MiB). */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const MAX_KEY_ID_BYTES = 255;
export const MAX_RECORD_BYTES = RECORD_OVERHEAD + MAX_KEY_ID_BYTES + MAX_PAYLOAD_BYTES;
/** Chain hash that precedes record 1. */
export const GENESIS_HASH: Buffer = Buffer.alloc(HASH_BYTES);


const SEGMENT_NAME_RE = /^(\d{20})\.seg$/;

/** File name of the segment whose first record is `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.seg`;
}

/** First seq encoded in a segment file name, or -1 when the name is not a segment name. */
export function parseSegmentName(name: string): number {
  const m = SEGMENT_NAME_RE.exec(name);
  if (m === null) return -1;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : -1;
}


// ---------------------------------------------------------------------------------------------
// Segment header

export interface SegmentHeader {
  firstSeq: number;
  createdAtMs: number;
  prevHash: Buffer;
}

/** Writes a segment header into `b` at `p` (64 bytes). */
export function encodeSegmentHeader(
  b: Buffer,
  p: number,
  firstSeq: number,
  createdAtMs: number,
  prevHash: Uint8Array,
): void {
  b.fill(0, p, p + SEGMENT_HEADER_BYTES);
  putU32(b, p, SEGMENT_MAGIC);
  putU16(b, p + 4, FORMAT_VERSION);
  putU16(b, p + 6, SEGMENT_HEADER_BYTES);
  putU64(b, p + 8, firstSeq);
  putU64(b, p + 16, createdAtMs);
  b.set(prevHash, p + 24);
  putU32(b, p + 60, crc32c(b, p, p + 60));
}

/** Decodes and checks a segment header; returns null when it is incomplete or invalid. */
export function decodeSegmentHeader(b: Uint8Array, p = 0): SegmentHeader | null {
  if (b.length - p < SEGMENT_HEADER_BYTES) return null;
  if (getU32(b, p) !== SEGMENT_MAGIC) return null;
  if (getU16(b, p + 4) !== FORMAT_VERSION || getU16(b, p + 6) !== SEGMENT_HEADER_BYTES) return null;
  if (getU32(b, p + 60) !== crc32c(b, p, p + 60)) return null;
  const firstSeq = getU64(b, p + 8);
  const createdAtMs = getU64(b, p + 16);
  if (firstSeq < 1 || createdAtMs < 0) return null;
  return {
    firstSeq,
    createdAtMs,
    prevHash: Buffer.from(b.subarray(p + 24, p + 24 + HASH_BYTES)),
  };
}

// ---------------------------------------------------------------------------------------------
// Records

/** Result codes of {@link checkRecord} (a positive value is the record's total length). */
export const REC_INCOMPLETE = -1;
export const REC_INVALID = -2;

/**
 * Checks the record starting at `b[p]`, with `end` the end of the available bytes.
 * Returns the record's total length when it is complete and its CRC matches,
 * {@link REC_INCOMPLETE} when more bytes are needed to decide (the length field itself is
 * plausible), or {@link REC_INVALID} when the bytes cannot be a valid record.
 */
export function checkRecord(b: Uint8Array, p: number, end: number): number {
  if (end - p < RECORD_FIXED_BYTES) return end - p >= 4 && !plausibleLength(getU32(b, p)) ? REC_INVALID : REC_INCOMPLETE;
  const total = getU32(b, p);
  const k = b[p + 22];
  if (
    b[p + 23] !== RECORD_MARKER ||
    k === 0 ||
    !plausibleLength(total) ||
    getU32(b, p + 24) !== total - RECORD_OVERHEAD - k
  ) {
    return REC_INVALID;
  }
  if (end - p < total) return REC_INCOMPLETE;
  if (getU32(b, p + total - 4) !== crc32c(b, p, p + total - 4)) return REC_INVALID;
  return total;
}

function plausibleLength(total: number): boolean {
  return total > RECORD_OVERHEAD && total <= MAX_RECORD_BYTES;
}

export function recordSeq(b: Uint8Array, p: number): number {
  return getU64(b, p + 4);
}

export function recordAtMs(b: Uint8Array, p: number): number {
  return getU64(b, p + 12);
}

export function recordType(b: Uint8Array, p: number): number {
  return getU16(b, p + 20);
}

export function recordKeyIdLength(b: Uint8Array, p: number): number {
  return b[p + 22];
}

export function recordKeyId(b: Buffer, p: number): string {
  return b.toString('utf8', p + RECORD_FIXED_BYTES, p + RECORD_FIXED_BYTES + b[p + 22]);
}

/** Offset (relative to the record start) of the hash; equal to the length of the HMAC'd bytes. */
export function recordHashOffset(total: number): number {
  return total - 4 - HASH_BYTES;
}

/**
 * Looks for a complete, CRC-valid record with seq >= minSeq starting anywhere in `(from, end)`.
 * Used after the first invalid record of the last segment to tell a torn tail (nothing valid
 * follows: the bytes belong to a write that never completed) from corruption in the middle of
 * acknowledged data (valid records follow). Returns the offset found, or -1.
 */
export function findValidRecordAfter(b: Uint8Array, from: number, end: number, minSeq: number): number {
  for (let o = from + 1; o + RECORD_OVERHEAD < end; o++) {
    if (b[o + 23] !== RECORD_MARKER) continue;
    const total = checkRecord(b, o, end);
    if (total > 0 && recordSeq(b, o) >= minSeq) return o;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Keys and the HMAC chain

/** HMAC keys by key id, as accepted by the public API. */
export type JournalKeys = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** Prepared chain keys: validated ids, encoded id bytes and KeyObjects (cheaper HMAC setup). */
export class KeyRing {
  private readonly objects = new Map<string, KeyObject>();
  private readonly idBytes = new Map<string, Buffer>();

  constructor(keys: JournalKeys) {
    const entries = keys instanceof Map ? [...keys.entries()] : Object.entries(keys);
    for (const [id, secret] of entries) this.add(id, secret as Uint8Array);
  }

  add(id: string, secret: Uint8Array): void {
    const bytes = Buffer.from(id, 'utf8');
    if (bytes.length === 0 || bytes.length > MAX_KEY_ID_BYTES) {
      throw new RangeError(`journal key id must be 1..${MAX_KEY_ID_BYTES} UTF-8 bytes: ${JSON.stringify(id)}`);
    }
    if (!(secret instanceof Uint8Array) || secret.length === 0) {
      throw new TypeError(`journal key ${JSON.stringify(id)} must be a non-empty Buffer`);
    }
    this.objects.set(id, createSecretKey(Buffer.from(secret)));
    this.idBytes.set(id, bytes);
  }

  has(id: string): boolean {
    return this.objects.has(id);
  }

  get size(): number {
    return this.objects.size;
  }

  key(id: string): KeyObject | undefined {
    return this.objects.get(id);
  }

  idBytesOf(id: string): Buffer | undefined {
    return this.idBytes.get(id);
  }
}

/** hash_n = HMAC-SHA256(key, prevHash || b[start, end)). Returns a fresh 32-byte Buffer. */
export function chainHash(key: KeyObject, prevHash: Uint8Array, b: Uint8Array, start: number, end: number): Buffer {
  return createHmac('sha256', key).update(prevHash).update(b.subarray(start, end)).digest();
}

/** Constant-length comparison of a 32-byte hash with `b[p, p+32)`. */
export function hashEquals(hash: Uint8Array, b: Uint8Array, p: number): boolean {
  let diff = 0;
  for (let i = 0; i < HASH_BYTES; i++) diff |= hash[i] ^ b[p + i];
  return diff === 0;
}

/** Summary of the chain head, suitable for exporting to an external anchor store. */
export interface JournalAnchor {
  seq: number;
  atMs: number;
  keyId: string;
  /** Chain hash of record `seq`, base64 (standard alphabet, padded). */
  hash: string;
}

/**
 * Sealing records: filling in each record's chain hash and CRC once its other bytes are laid
 * out. The writer seals as it appends, unless its I/O seals on the way to the disk (the journal
 * I/O thread does, so that the HMAC of every record is not computed on the event loop).
 */
import { crc32c } from './crc32c.js';
import { chainHash, HASH_BYTES, type KeyRing, RECORD_FIXED_BYTES, recordHashOffset, SEGMENT_HEADER_BYTES } from './format.js';
import { getU32, putU32 } from '@switchyard/protocol';

/** Offset of a segment header's prevHash, and of its CRC (which covers the bytes before it). */
const HEADER_PREV_HASH_AT = 24;
const HEADER_CRC_AT = 60;

/**
 * Seals the records laid out back to back in `b[start, end)`, in order, chaining from
 * `prevHash`. With `header`, `b[start]` is first a segment header, whose prevHash and CRC are
 * filled in from `prevHash`. Returns the chain hash of the last record (`prevHash` if none).
 *
 * @throws Error when a record names a key id the ring does not hold, or the bytes are not whole
 *         records (nothing is written then: the caller fails the batch).
 */
export function sealRecords(b: Buffer, start: number, end: number, ring: KeyRing, prevHash: Buffer, header: boolean): Buffer {
  let p = start;
  if (header) {
    b.set(prevHash, p + HEADER_PREV_HASH_AT);
    putU32(b, p + HEADER_CRC_AT, crc32c(b, p, p + HEADER_CRC_AT));
    p += SEGMENT_HEADER_BYTES;
  }
  let prev = prevHash;
  let keyId = '';
  let key = undefined as ReturnType<KeyRing['key']>;
  while (p < end) {
    const total = getU32(b, p);
    if (total < RECORD_FIXED_BYTES + HASH_BYTES + 4 || p + total > end) throw new Error(`not a whole record at offset ${p - start} of the batch`);
    const k = b[p + 22]!;
    const id = b.toString('utf8', p + RECORD_FIXED_BYTES, p + RECORD_FIXED_BYTES + k);
    if (id !== keyId || key === undefined) {
      key = ring.key(id);
      keyId = id;
      if (key === undefined) throw new Error(`record chained with unknown key id ${JSON.stringify(id)}`);
    }
    const hashAt = p + recordHashOffset(total);
    const h = chainHash(key, prev, b, p, hashAt);
    b.set(h, hashAt);
    putU32(b, hashAt + HASH_BYTES, crc32c(b, p, hashAt + HASH_BYTES));
    prev = h;
    p += total;
  }
  return prev;
}

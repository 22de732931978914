/**
 * Journal verification (tamper evidence + integrity) and offline anchor lookup.
 *
 * `verifyJournal` checks, for every record in range: framing and CRC-32C, seq continuity
 * (within a segment, across segments, and segment-header linkage), that the record's key id is
 * known, and that its HMAC chain hash equals HMAC(key[keyId], previous hash || record bytes).
 * Records before `fromSeq` are only CRC-checked; their stored hashes seed the chain, as in the
 * original gateway's `/audit/verify`.
 */
import {
  HASH_BYTES,
  recordAtMs,
  recordHashOffset,
  recordKeyId,
  recordSeq,
  type JournalAnchor,
  type JournalKeys,
} from './format.js';
import type { JournalErrorKind } from './errors.js';
import { walkJournal } from './reader.js';
import { listSegments, scanSegment } from './segments.js';

export interface VerifyOptions {
  /** First seq to verify (default 1). */
  fromSeq?: number;
  /** Verify at most this many records (default: all). */
  limit?: number;
  /**
   * Stop after this seq. When verifying a journal that a writer is appending to, pass the
   * writer's `lastDurableSeq`: bytes of a write in flight would otherwise read as a torn tail.
   */
  untilSeq?: number;
  /** Read size (default 8 MiB). */
  chunkBytes?: number;
}

export interface VerifyError {
  kind: JournalErrorKind;
  /** Seq of the bad record (the seq expected at that place). */
  seq: number;
  /** Segment file name. */
  segment: string;
  /** Byte offset of the bad record (or segment header: 0) inside the segment file. */
  offset: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Records fully verified (chain included). */
  checked: number;
  /** Seq of the last record verified successfully (0 when none). */
  lastSeq: number;
  error: VerifyError | null;
}

/**
 * Verifies the journal in `dir` with the given HMAC keys. Never throws for integrity problems
 * (they are in the result); throws only for I/O errors such as an unreadable directory.
 * A torn tail (incomplete last write, cut by the writer on its next open) is reported as an
 * error of kind `torn_tail`.
 */
export async function verifyJournal(dir: string, keys: JournalKeys, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new RangeError('limit must be >= 0');
  if (limit === 0) return { ok: true, checked: 0, lastSeq: 0, error: null };
  let checked = 0;
  const res = await walkJournal(
    dir,
    () => {
      checked++;
      return checked < limit;
    },
    {
      fromSeq: opts.fromSeq,
      toSeq: opts.untilSeq,
      verifyChain: true,
      keys,
      chunkBytes: opts.chunkBytes,
      tornTail: 'throw',
    },
  );
  const e = res.error;
  return {
    ok: e === null,
    checked,
    lastSeq: res.lastSeq,
    error: e === null ? null : { kind: e.kind, seq: e.seq, segment: e.segment, offset: e.offset, message: e.message },
  };
}

/**
 * Anchor of the last valid record on disk (seq, atMs, keyId, base64 hash), for export to an
 * external store; null when the journal holds no record. Reads only the newest segment(s) and
 * checks CRCs, not the chain. A running writer's `anchor()` gives the same from memory. With
 * `untilSeq` (a running writer's durable seq), records after it are not considered.
 */
export async function readAnchor(dir: string, untilSeq = Number.POSITIVE_INFINITY): Promise<JournalAnchor | null> {
  const segs = await listSegments(dir);
  for (let i = segs.length - 1; i >= 0; i--) {
    if (segs[i]!.firstSeq > untilSeq) continue;
    let lastBuf: Buffer | null = null;
    let lastPos = 0;
    let lastTotal = 0;
    await scanSegment(segs[i]!, { isLast: i === segs.length - 1 }, {
      record(buf, p, total, seq) {
        if (seq > untilSeq) return false;
        lastBuf = buf;
        lastPos = p;
        lastTotal = total;
        return seq < untilSeq;
      },
    });
    const b = lastBuf as Buffer | null;
    if (b !== null) {
      const h = lastPos + recordHashOffset(lastTotal);
      return {
        seq: recordSeq(b, lastPos),
        atMs: recordAtMs(b, lastPos),
        keyId: recordKeyId(b, lastPos),
        hash: b.toString('base64', h, h + HASH_BYTES),
      };
    }
  }
  return null;
}

/**
 * Follows one journal as it grows: reads its records in seq order from a starting seq, up to a
 * bound the caller gives (the journal's last durable seq: a record is read only once it is
 * durable), keeping its file and offset between calls so that each call reads only new bytes.
 * Moves to the next segment when the current one has no more records.
 *
 * Records at or below the durable seq are complete and were checksummed when written, so the
 * tail checks their framing (length, marker, seq continuity) but not their CRC or HMAC chain:
 * that is the verifier's job (GET /audit/verify), and the tail runs beside order acceptance.
 *
 * Owner: one async caller at a time (the relay's loop, a feed connection).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { getU16, getU32 } from '@switchyard/protocol';
import { decodeSegmentHeader, RECORD_FIXED_BYTES, RECORD_MARKER, RECORD_OVERHEAD, recordAtMs, recordSeq, SEGMENT_HEADER_BYTES } from '../journal/format.js';
import { listSegments } from '../journal/segments.js';
import type { CodecRecord } from './codec.js';

const CHUNK_BYTES = 1 << 20;

/** Why the tail cannot go on (stable `code`). */
export class JournalTailError extends Error {
  constructor(
    readonly code: 'TAIL_GAP' | 'TAIL_BAD_RECORD' | 'TAIL_BAD_SEGMENT',
    message: string,
  ) {
    super(message);
    this.name = 'JournalTailError';
  }
}

export class JournalTail {
  private fh: FileHandle | null = null;
  private segFirst = 0;
  /** file offset of the record `next` (or of the first record to skip to it) */
  private offset = 0;
  private buf: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private readonly rec: CodecRecord = { seq: 0, atMs: 0, type: 0, payload: Buffer.alloc(0) };

  constructor(
    private readonly dir: string,
    /** next seq to deliver */
    private next: number,
  ) {
    if (!Number.isSafeInteger(next) || next < 1) throw new RangeError(`fromSeq must be >= 1, got ${next}`);
  }

  /** The seq the next delivered record will have. */
  get nextSeq(): number {
    return this.next;
  }

  /**
   * Delivers the records `nextSeq..toSeq` that are on disk (at most `max`), in order, to
   * `onRecord` (a reused object; its payload is valid during the call only). Returns how many.
   */
  async read(toSeq: number, onRecord: (r: CodecRecord) => void, max = Number.POSITIVE_INFINITY): Promise<number> {
    let delivered = 0;
    while (this.next <= toSeq && delivered < max) {
      if (this.fh === null && !(await this.openSegment())) break;
      const fh = this.fh!;
      const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, this.offset);
      const b = this.buf;
      let p = 0;
      let progressed = false;
      let grew = false;
      while (p + RECORD_FIXED_BYTES <= bytesRead && this.next <= toSeq && delivered < max) {
        const total = getU32(b, p);
        const k = b[p + 22]!;
        if (b[p + 23] !== RECORD_MARKER || total <= RECORD_OVERHEAD || getU32(b, p + 24) !== total - RECORD_OVERHEAD - k) {
          throw new JournalTailError('TAIL_BAD_RECORD', `${this.dir}: bad record framing at offset ${this.offset + p} of segment ${this.segFirst}`);
        }
        if (total > b.length) {
          this.buf = Buffer.allocUnsafeSlow(total);
          grew = true;
          break;
        }
        if (p + total > bytesRead) break;
        const seq = recordSeq(b, p);
        p += total;
        progressed = true;
        if (seq < this.next) continue; // skipping to the starting seq
        if (seq !== this.next) throw new JournalTailError('TAIL_GAP', `${this.dir}: expected record ${this.next}, found ${seq}`);
        const r = this.rec;
        r.seq = seq;
        r.atMs = recordAtMs(b, p - total);
        r.type = getU16(b, p - total + 20);
        const ps = p - total + RECORD_FIXED_BYTES + k;
        r.payload = b.subarray(ps, ps + getU32(b, p - total + 24));
        this.next++;
        delivered++;
        onRecord(r);
      }
      this.offset += p;
      if (progressed || grew || bytesRead === b.length) continue;
      // Nothing more in this segment (yet): the next record may have started a new one.
      if (!(await this.nextSegment())) break;
    }
    return delivered;
  }

  /** Opens the segment that holds `next`; false when the journal has none yet. */
  private async openSegment(): Promise<boolean> {
    const segs = await listSegments(this.dir);
    let pick = -1;
    for (let i = 0; i < segs.length; i++) if (segs[i]!.firstSeq <= this.next) pick = i;
    if (pick < 0) return false;
    await this.openFile(segs[pick]!.path, segs[pick]!.firstSeq);
    return true;
  }

  private async nextSegment(): Promise<boolean> {
    const segs = await listSegments(this.dir);
    const s = segs.find((x) => x.firstSeq === this.next);
    if (s === undefined) return false;
    await this.fh?.close();
    this.fh = null;
    await this.openFile(s.path, s.firstSeq);
    return true;
  }

  private async openFile(path: string, firstSeq: number): Promise<void> {
    const fh = await open(path, 'r');
    const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const { bytesRead } = await fh.read(h, 0, SEGMENT_HEADER_BYTES, 0);
    const header = bytesRead === SEGMENT_HEADER_BYTES ? decodeSegmentHeader(h) : null;
    if (header === null || header.firstSeq !== firstSeq) {
      await fh.close();
      throw new JournalTailError('TAIL_BAD_SEGMENT', `${path}: unreadable segment header`);
    }
    this.fh = fh;
    this.segFirst = firstSeq;
    this.offset = SEGMENT_HEADER_BYTES;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

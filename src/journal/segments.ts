/**
 * Segment discovery and the chunked segment scanner shared by the reader, the verifier, the
 * anchor lookup and the writer's recovery on open.
 *
 * The scanner reads a segment file in large chunks (default 8 MiB), prefetching the next chunk
 * while the current one is parsed, and hands every complete, CRC-valid record to a visitor as a
 * (buffer, offset) pair: no per-record allocation happens here. Chunk buffers are never reused,
 * so a visitor may keep `buf.subarray(...)` views (the reader's payloads) for as long as it likes.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { MAX_RECORD_BYTES, REC_INCOMPLETE, RECORD_FIXED_BYTES, RECORD_MARKER, RECORD_OVERHEAD, SEGMENT_HEADER_BYTES, checkRecord, decodeSegmentHeader, HASH_BYTES, recordAtMs, recordHashOffset, recordKeyId, findValidRecordAfter, parseSegmentName, recordSeq, type SegmentHeader } from './format.js';
import { getU32 } from '@switchyard/protocol';
import type { JournalErrorKind } from './errors.js';

export interface SegmentInfo {
  /** File name, e.g. `00000000000000000001.seg`. */
  name: string;
  /** Absolute or dir-relative path (dir joined with name). */
  path: string;
  /** First seq, from the file name. */
  firstSeq: number;
}

/** Segment files of `dir` sorted by first seq; [] when the directory does not exist. */
export async function listSegments(dir: string): Promise<SegmentInfo[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const firstSeq = parseSegmentName(name);
    if (firstSeq > 0) out.push({ name, path: join(dir, name), firstSeq });
  }
  out.sort((a, b) => a.firstSeq - b.firstSeq);
  return out;
}

/** Index of the segment that holds `seq` (the last one whose firstSeq <= seq), or 0. */
export function segmentIndexFor(segments: readonly SegmentInfo[], seq: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].firstSeq <= seq) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/** Receives the contents of a segment, in order. */
export interface SegmentVisitor {
  /** Called once with the decoded header; return false to stop scanning. */
  header?(header: SegmentHeader): boolean;
  /**
   * Called for every complete record whose CRC is valid and whose seq is the expected one.
   * `buf[p, p+total)` is the record, `fileOffset` its offset in the segment file.
   * Return false to stop scanning.
   */
  record(buf: Buffer, p: number, total: number, seq: number, fileOffset: number): boolean;
  /**
   * Called after the records of each chunk were handed over; a returned promise is awaited
   * before the next chunk is parsed (lets a pull-based consumer apply backpressure).
   */
  afterChunk?(): Promise<void> | undefined;
}

/** Problem that ended a scan before the end of the file. */
export interface ScanProblem {
  kind: Extract<JournalErrorKind, 'checksum' | 'gap' | 'torn_tail'>;
  /** Seq expected at `offset`. */
  seq: number;
  /** Byte offset in the segment file of the bad record (0 for the header). */
  offset: number;
  message: string;
}

export interface SegmentScan {
  header: SegmentHeader | null;
  /** Records handed to the visitor. */
  records: number;
  /** Seq of the last valid record, or firstSeq - 1 when there is none. */
  lastSeq: number;
  /** File offset just past the last valid record (or past the header). */
  validEnd: number;
  /** File size when the scan started (bytes appended later are not read). */
  fileSize: number;
  /** True when the visitor asked to stop. */
  stopped: boolean;
  problem: ScanProblem | null;
}

/**
 * What a writer needs to know about the newest segment to append after it: where its valid data
 * ends and the chain head (hash, time and key id of its last record). A replay that read the
 * segment to its end produces it as a by-product, so that opening the writer afterwards does not
 * read the segment again.
 */
export interface SegmentTail {
  /** segment file name */
  segment: string;
  /** the scan, as scanSegment returned it for this (newest) segment */
  scan: SegmentScan;
  /** the segment's last valid record, or null when it holds none */
  last: { hash: Buffer; atMs: number; keyId: string } | null;
}

/** The chain-head details of the record at `b[p]` of total length `total`. */
export function tailRecord(b: Buffer, p: number, total: number): { hash: Buffer; atMs: number; keyId: string } {
  const h = p + recordHashOffset(total);
  return { hash: Buffer.from(b.subarray(h, h + HASH_BYTES)), atMs: recordAtMs(b, p), keyId: recordKeyId(b, p) };
}

export interface ScanOptions {
  /**
   * Whether this is the newest segment. Only there can an invalid or incomplete record be a
   * torn tail (a write that never completed); elsewhere it is reported as `checksum`.
   */
  isLast: boolean;
  /** Read size; default 8 MiB. */
  chunkBytes?: number;
}

const HEADROOM = 64 * 1024;
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const FIRST_CHUNK_BYTES = 256 * 1024;

interface Chunk {
  buf: Buffer;
  n: number;
}

/**
 * Scans one segment file: checks the header, then every record's length, marker, CRC and seq
 * continuity (starting at the seq in the file name), handing valid records to `visitor`.
 *
 * The first bad record ends the scan. In the last segment it is a `torn_tail` only when it looks
 * like a write that never completed (see {@link tornWrite}) and no valid record follows; any
 * other damage — a complete record whose checksum fails, a valid record after the bad bytes —
 * is `checksum`: that record may have been acknowledged, and cutting it would lose it.
 */
export async function scanSegment(
  seg: SegmentInfo,
  opts: ScanOptions,
  visitor: SegmentVisitor,
): Promise<SegmentScan> {
  const fh = await fsp.open(seg.path, 'r');
  let pending: Promise<Chunk> | null = null;
  try {
    const fileSize = (await fh.stat()).size;
    const chunkBytes = Math.max(64 * 1024, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const res: SegmentScan = {
      header: null,
      records: 0,
      lastSeq: seg.firstSeq - 1,
      validEnd: 0,
      fileSize,
      stopped: false,
      problem: null,
    };

    const readChunk = async (pos: number): Promise<Chunk> => {
      // The first read is small, so that parsing starts at once and the next (full-size) read
      // overlaps it, instead of the whole first chunk being waited for.
      const n = Math.min(pos === 0 ? Math.min(chunkBytes, FIRST_CHUNK_BYTES) : chunkBytes, fileSize - pos);
      const buf = Buffer.allocUnsafeSlow(HEADROOM + n);
      const { bytesRead } = await fh.read(buf, HEADROOM, n, pos);
      return { buf, n: bytesRead };
    };

    const cur: Cursor = {
      expected: seg.firstSeq,
      records: 0,
      lastSeq: seg.firstSeq - 1,
      validEnd: 0,
      outcome: MORE,
      badOffset: -1,
      foundSeq: 0,
    };
    let readPos = 0;
    pending = fileSize > 0 ? readChunk(0) : null;
    let carry: Buffer | null = null;
    let carryOff = 0; // file offset of carry[0]
    let badOffset = -1;
    let headerDone = false;

    while (pending !== null) {
      const { buf: raw, n } = await pending;
      const dataOff = readPos;
      readPos += n;
      pending = n > 0 && readPos < fileSize ? readChunk(readPos) : null;
      if (n === 0) break;

      // Glue the incomplete bytes left over from the previous chunk in front of this one.
      let buf: Buffer;
      let start: number;
      let base: number; // file offset of buf[start]
      if (carry === null) {
        buf = raw;
        start = HEADROOM;
        base = dataOff;
      } else if (carry.length <= HEADROOM) {
        raw.set(carry, HEADROOM - carry.length);
        buf = raw;
        start = HEADROOM - carry.length;
        base = carryOff;
      } else {
        buf = Buffer.concat([carry, raw.subarray(HEADROOM, HEADROOM + n)]);
        start = 0;
        base = carryOff;
      }
      const end = buf === raw ? HEADROOM + n : buf.length;
      let p = start;

      if (!headerDone) {
        if (end - p < SEGMENT_HEADER_BYTES) {
          carry = buf.subarray(p, end);
          carryOff = base;
          continue;
        }
        const header = decodeSegmentHeader(buf, p);
        if (header === null || header.firstSeq !== seg.firstSeq) {
          res.problem = await classifyHeader(seg, fh, fileSize, opts.isLast, header === null);
          return res;
        }
        headerDone = true;
        res.header = header;
        p += SEGMENT_HEADER_BYTES;
        res.validEnd = SEGMENT_HEADER_BYTES;
        cur.validEnd = SEGMENT_HEADER_BYTES;
        if (visitor.header !== undefined && !visitor.header(header)) {
          res.stopped = true;
          return res;
        }
      }

      p = parseRecords(buf, p, end, base - start, cur, visitor);
      res.records = cur.records;
      res.lastSeq = cur.lastSeq;
      res.validEnd = cur.validEnd;
      if (cur.outcome === STOPPED) {
        res.stopped = true;
        return res;
      }
      if (cur.outcome === GAP) {
        res.problem = {
          kind: 'gap',
          seq: cur.expected,
          offset: cur.badOffset,
          message: `${seg.name}: expected seq ${cur.expected} at offset ${cur.badOffset}, found ${cur.foundSeq}`,
        };
        return res;
      }
      if (cur.outcome === BAD) badOffset = cur.badOffset;
      if (badOffset >= 0) break;
      carry = p < end ? buf.subarray(p, end) : null;
      carryOff = base + (p - start);
      if (visitor.afterChunk !== undefined) {
        const wait = visitor.afterChunk();
        if (wait !== undefined) await wait;
      }
    }

    if (!headerDone) {
      res.problem = await classifyHeader(seg, fh, fileSize, opts.isLast, true);
      return res;
    }
    if (badOffset < 0 && carry !== null) badOffset = carryOff; // incomplete record at EOF
    if (badOffset >= 0) res.problem = await classifyBad(seg, fh, fileSize, badOffset, cur.expected, opts.isLast);
    return res;
  } finally {
    // An early return may leave a prefetch in flight; close() waits for it.
    pending?.catch(() => {});
    await fh.close();
  }
}

const MORE = 0;
const BAD = 1;
const GAP = 2;
const STOPPED = 3;

/** Scan position state shared between {@link scanSegment} and {@link parseRecords}. */
interface Cursor {
  expected: number;
  records: number;
  lastSeq: number;
  validEnd: number;
  /** Why parseRecords returned: MORE (needs the next chunk), BAD, GAP or STOPPED. */
  outcome: number;
  badOffset: number;
  foundSeq: number;
}

/**
 * The hot loop: checks and hands over the records of `buf[p, end)`. `delta` converts a buffer
 * index into a file offset. Returns the index where parsing ended (start of an incomplete or
 * bad record, or `end`). Kept synchronous and separate so it is optimized early.
 */
function parseRecords(buf: Buffer, p: number, end: number, delta: number, cur: Cursor, visitor: SegmentVisitor): number {
  let expected = cur.expected;
  let records = cur.records;
  let outcome = MORE;
  while (p < end) {
    const total = checkRecord(buf, p, end);
    if (total < 0) {
      if (total !== REC_INCOMPLETE) {
        outcome = BAD;
        cur.badOffset = delta + p;
      }
      break;
    }
    const seq = recordSeq(buf, p);
    if (seq !== expected) {
      outcome = GAP;
      cur.badOffset = delta + p;
      cur.foundSeq = seq;
      break;
    }
    records++;
    expected = seq + 1;
    cur.validEnd = delta + p + total;
    if (!visitor.record(buf, p, total, seq, delta + p)) {
      p += total;
      outcome = STOPPED;
      break;
    }
    p += total;
  }
  cur.expected = expected;
  cur.records = records;
  cur.lastSeq = expected - 1;
  cur.outcome = outcome;
  return p;
}

async function readRange(fh: fsp.FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.max(0, to - from));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Smallest complete record: the fixed overhead and a one-byte key id. */
const MIN_RECORD_BYTES = RECORD_OVERHEAD + 1;
/** Granularity at which a write can be persisted in part (a disk sector). */
const SECTOR_BYTES = 512;

/**
 * Whether the bytes `rest` (from file offset `offset` to the end of the newest segment), which
 * start with a record that failed its checks, are what a write cut short by a crash leaves — a
 * torn write, never acknowledged, safe to cut — rather than a damaged complete record:
 *
 *  - too few bytes for any complete record (fewer than {@link MIN_RECORD_BYTES});
 *  - only zero bytes (the file size was updated but the data never made it);
 *  - a consistent record header whose length runs past the end of the file (the write stopped
 *    inside the record);
 *  - the file ends in zero bytes (at least 4) from a sector boundary inside the record (or inside
 *    its header, when that is not readable): the end of the write never made it to the disk.
 *
 * A record whose header is consistent, whose length fits in the file and whose bytes are not cut
 * off by such zeros is complete: a checksum failure there is corruption, whatever follows it.
 */
export function tornWrite(rest: Uint8Array, offset: number): boolean {
  const n = rest.length;
  if (n < MIN_RECORD_BYTES) return true;
  // the trailing run of zero bytes: rest[zeros, n) are all 0
  let zeros = n;
  while (zeros > 0 && rest[zeros - 1] === 0) zeros--;
  if (zeros === 0) return true;
  // first sector boundary (file offsets) at or after the start of that run; the zeros from there
  // to the end must at least cover where a CRC would be (a record's last 4 bytes: one flipped
  // byte at the very end is not taken for a lost sector)
  const boundary = Math.ceil((offset + zeros) / SECTOR_BYTES) * SECTOR_BYTES - offset;
  const zeroSector = n - boundary >= 4;
  if (!consistentHeader(rest)) return zeroSector && boundary <= RECORD_FIXED_BYTES;
  const total = getU32(rest, 0);
  if (total > n) return true;
  return zeroSector && boundary < total;
}

/** Whether the record header at rest[0] is self-consistent (marker, key id length, lengths). */
function consistentHeader(rest: Uint8Array): boolean {
  const total = getU32(rest, 0);
  const k = rest[22]!;
  return rest[23] === RECORD_MARKER && k > 0 && total >= MIN_RECORD_BYTES && total <= MAX_RECORD_BYTES && getU32(rest, 24) === total - RECORD_OVERHEAD - k;
}

async function classifyBad(
  seg: SegmentInfo,
  fh: fsp.FileHandle,
  fileSize: number,
  offset: number,
  seq: number,
  isLast: boolean,
): Promise<ScanProblem> {
  if (isLast) {
    const rest = await readRange(fh, offset, fileSize);
    if (findValidRecordAfter(rest, 0, rest.length, seq) < 0 && tornWrite(rest, offset)) {
      return {
        kind: 'torn_tail',
        seq,
        offset,
        message: `${seg.name}: torn tail at offset ${offset} (${fileSize - offset} bytes of an incomplete write, expected seq ${seq})`,
      };
    }
    return {
      kind: 'checksum',
      seq,
      offset,
      message:
        `${seg.name}: corrupt record at offset ${offset} (seq ${seq}): the record is complete but fails its checks, ` +
        `so it may have been acknowledged; it is not cut as a torn write`,
    };
  }
  return {
    kind: 'checksum',
    seq,
    offset,
    message: `${seg.name}: bad record (checksum/framing) at offset ${offset}, expected seq ${seq}`,
  };
}

async function classifyHeader(
  seg: SegmentInfo,
  fh: fsp.FileHandle,
  fileSize: number,
  isLast: boolean,
  unreadable: boolean,
): Promise<ScanProblem> {
  if (isLast && unreadable) {
    // A segment is created by one write of header + first batch: if that write was torn and no
    // record made it, the whole file is a torn tail. Torn means: no valid record anywhere in it,
    // and the header itself cut short (too short, or zeros from a sector boundary inside it).
    const all = await readRange(fh, 0, fileSize);
    if (findValidRecordAfter(all, -1, all.length, seg.firstSeq) < 0 && tornHeader(all)) {
      return {
        kind: 'torn_tail',
        seq: seg.firstSeq,
        offset: 0,
        message: `${seg.name}: incomplete segment header (${fileSize} bytes, torn segment creation)`,
      };
    }
  }
  return {
    kind: 'checksum',
    seq: seg.firstSeq,
    offset: 0,
    message: unreadable
      ? `${seg.name}: bad segment header`
      : `${seg.name}: segment header names another first seq than the file name`,
  };
}

/**
 * A segment file whose header write never completed: shorter than a header, or zero bytes from
 * inside the header to the end of the file. A complete header ends in its (non-zero) CRC.
 */
function tornHeader(all: Uint8Array): boolean {
  if (all.length < SEGMENT_HEADER_BYTES) return true;
  let zeros = all.length;
  while (zeros > 0 && all[zeros - 1] === 0) zeros--;
  return zeros < SEGMENT_HEADER_BYTES;
}

/**
 * Opening a journal directory for writing: scans the newest segment, cuts a torn tail (its bytes
 * set aside first, set-aside.ts) or refuses damage, resumes seq and chain hash after the last
 * valid record, or creates segment 1. Returns what the writer starts from (writer.ts).
 * One writer per directory and thread: {@link releaseDir} when it closes.
 */
import fs from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { JournalIntegrityError } from './errors.js';
import { encodeSegmentHeader, GENESIS_HASH, KeyRing, recordAtMs, recordKeyId, SEGMENT_HEADER_BYTES, segmentName } from './format.js';
import { closeAsync, fdatasyncAsync, fsyncAsync, ftruncateAsync, openAsync, segmentFlags, writeFully } from './io.js';
import { listSegments, scanSegment, tailRecord, type SegmentInfo, type SegmentTail } from './segments.js';
import { copyAside, moveAside } from './set-aside.js';
import type { JournalWriterOptions } from './writer-options.js';

const openDirs = new Set<string>();
const noop = (): void => {};

/** The journal's state where the writer takes over. */
export interface WriterInit {
  dir: string;
  opts: JournalWriterOptions;
  ring: KeyRing;
  fd: number;
  dirFd: number;
  segName: string;
  segPos: number;
  segRecords: number;
  seq: number;
  lastHash: Buffer;
  lastAtMs: number;
  lastKeyId: string;
}

/** The writer of `dir` has closed: another may open it. */
export function releaseDir(dir: string): void {
  openDirs.delete(dir);
}

/**
 * Opens (or creates) the journal files in `opts.dir`: scans the newest segment, cuts a torn tail
 * (its bytes moved to a side file first, set-aside.ts; reported through `onTornTail`) and
 * resumes seq and chain hash after the last valid record.
 * Throws {@link JournalIntegrityError} when the newest segment is damaged before its end
 * (valid records after bad bytes): truncating there could drop acknowledged records, so that
 * needs an operator (see `journal-verify`).
 */
export async function openJournalFiles(opts: JournalWriterOptions): Promise<WriterInit> {
  const ring = new KeyRing(opts.keys);
  if (!ring.has(opts.activeKeyId)) throw new RangeError(`active key id ${JSON.stringify(opts.activeKeyId)} is not in keys`);
  checkPositiveInt('maxBatchBytes', opts.maxBatchBytes);
  if (opts.maxBatchRecords !== undefined && opts.maxBatchRecords !== 0) checkPositiveInt('maxBatchRecords', opts.maxBatchRecords);
  checkPositiveInt('segmentBytes', opts.segmentBytes);
  if (opts.maxBatchDelayUs !== undefined && !(opts.maxBatchDelayUs >= 0 && Number.isFinite(opts.maxBatchDelayUs))) {
    throw new RangeError('maxBatchDelayUs must be a finite number >= 0');
  }

  const dir = resolvePath(opts.dir);
  if (openDirs.has(dir)) throw new Error(`journal ${dir} already has an open writer in this thread`);
  openDirs.add(dir);
  let fd = -1;
  let dirFd = -1;
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    dirFd = await openAsync(dir, 'r');
    const segs = await listSegments(dir);

    let hint = opts.tail;
    while (segs.length > 0) {
      const last = segs[segs.length - 1];
      // A replay that just read this segment to its end says where it ends; else read it.
      const tail = hint !== undefined && hint.segment === last.name ? hint : await scanTail(last);
      hint = undefined;
      const scan = tail.scan;
      const pb = scan.problem;
      if (pb !== null && pb.kind !== 'torn_tail') {
        throw new JournalIntegrityError(pb.kind, pb.seq, last.name, pb.offset, `cannot open journal: ${pb.message}`);
      }
      if (scan.header === null) {
        // Torn segment creation: nothing of this segment was ever acknowledged.
        if (segs.length === 1 && last.firstSeq !== 1) {
          throw new JournalIntegrityError('checksum', last.firstSeq, last.name, 0,
            `cannot open journal: ${last.name} has a torn header and no earlier segment to resume from`);
        }
        const savedTo = await moveAside(dir, dirFd, last.name, Date.now());
        segs.pop();
        opts.onTornTail?.({
          segment: last.name,
          offset: 0,
          bytesCut: scan.fileSize,
          removedSegment: true,
          lastSeq: segs.length > 0 ? last.firstSeq - 1 : 0,
          savedTo,
        });
        continue;
      }

      fd = await openAsync(last.path, segmentFlags(opts, false));
      if (pb !== null) {
        // The cut bytes go to a durable side file first: never deleted.
        const savedTo = await copyAside(dir, dirFd, last.name, fd, scan.validEnd, scan.fileSize, Date.now());
        await ftruncateAsync(fd, scan.validEnd);
        await fdatasyncAsync(fd);
        opts.onTornTail?.({
          segment: last.name,
          offset: scan.validEnd,
          bytesCut: scan.fileSize - scan.validEnd,
          removedSegment: false,
          lastSeq: scan.lastSeq,
          savedTo,
        });
      }
      let lastHash = scan.header.prevHash;
      let lastAtMs = 0;
      let lastKeyId = 'unknown';
      if (tail.last !== null) {
        lastHash = tail.last.hash;
        lastAtMs = tail.last.atMs;
        lastKeyId = tail.last.keyId;
      } else if (segs.length > 1) {
        // The newest segment holds only its header: take the anchor details (time, key id)
        // of the previous segment's last record. The chain hash comes from the header.
        const prev = await lastRecordOf(segs[segs.length - 2]);
        if (prev !== null) {
          lastAtMs = prev.atMs;
          lastKeyId = prev.keyId;
        }
      }
      return {
        dir, opts, ring, fd, dirFd,
        segName: last.name,
        segPos: scan.validEnd,
        segRecords: scan.records,
        seq: scan.lastSeq,
        lastHash,
        lastAtMs,
        lastKeyId,
      };
    }

    // Empty journal: create segment 1.
    const name = segmentName(1);
    fd = await openAsync(join(dir, name), segmentFlags(opts, true));
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    encodeSegmentHeader(header, 0, 1, Date.now(), GENESIS_HASH);
    await writeFully(fd, header, 0);
    await fdatasyncAsync(fd);
    await fsyncAsync(dirFd);
    return {
      dir, opts, ring, fd, dirFd,
      segName: name,
      segPos: SEGMENT_HEADER_BYTES,
      segRecords: 0,
      seq: 0,
      lastHash: GENESIS_HASH,
      lastAtMs: 0,
      lastKeyId: 'unknown',
    };
  } catch (err) {
    openDirs.delete(dir);
    if (fd >= 0) await closeAsync(fd).catch(noop);
    if (dirFd >= 0) await closeAsync(dirFd).catch(noop);
    throw err;
  }
}

/** Reads the newest segment to find where its valid data ends and its last record. */
async function scanTail(seg: SegmentInfo): Promise<SegmentTail> {
  let tailBuf: Buffer | null = null;
  let tailPos = 0;
  let tailLen = 0;
  const scan = await scanSegment(seg, { isLast: true }, {
    record(buf, p, total) {
      tailBuf = buf;
      tailPos = p;
      tailLen = total;
      return true;
    },
  });
  const tb = tailBuf as Buffer | null;
  return { segment: seg.name, scan, last: tb === null ? null : tailRecord(tb, tailPos, tailLen) };
}

/** Time and key id of the last valid record of a (non-newest) segment, or null. */
async function lastRecordOf(seg: SegmentInfo): Promise<{ atMs: number; keyId: string } | null> {
  let out: { atMs: number; keyId: string } | null = null;
  let buf: Buffer | null = null;
  let pos = 0;
  await scanSegment(seg, { isLast: false }, {
    record(b, p) {
      buf = b;
      pos = p;
      return true;
    },
  });
  const b = buf as Buffer | null;
  if (b !== null) out = { atMs: recordAtMs(b, pos), keyId: recordKeyId(b, pos) };
  return out;
}

function checkPositiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`${name} must be a positive integer`);
}


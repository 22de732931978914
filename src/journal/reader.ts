/**
 * Reading the journal back: fast replay for recovery, an async iterator for convenience, and
 * the walk engine shared with verification.
 *
 * Every record's framing, CRC and seq continuity are always checked (within and across
 * segments). With `verifyChain`, every record's HMAC chain hash is recomputed as well, which
 * costs one HMAC-SHA256 per record (several times the cost of everything else).
 *
 * Readers never modify the journal and may run while a writer appends: they read each segment
 * up to its size when it was opened. Bytes of a write still in flight at the end look like a
 * torn tail; pass `toSeq` (e.g. the writer's `lastDurableSeq`) to stop before them.
 */
import { GENESIS_HASH, HASH_BYTES, RECORD_FIXED_BYTES, KeyRing, chainHash, hashEquals, recordAtMs, recordHashOffset, type JournalKeys, type SegmentHeader } from './format.js';
import { getU16, getU32 } from '@switchyard/protocol';
import { JournalIntegrityError } from './errors.js';
import {
  listSegments,
  scanSegment,
  segmentIndexFor,
  tailRecord,
  type SegmentTail,
  type SegmentInfo,
  type SegmentVisitor,
} from './segments.js';

/** One journal record as delivered by the reader. */
export interface JournalRecord {
  seq: number;
  /** Epoch milliseconds given at append time. */
  atMs: number;
  type: number;
  /** Id of the HMAC key that chained this record. */
  keyId: string;
  /**
   * The payload bytes: a view into the reader's read buffer (a multi-MiB chunk). Copy it
   * (`Buffer.from(payload)`) if you keep it for long, or the whole chunk stays in memory.
   */
  payload: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * The record a replay hands to its callback: one object reused for every record, whose payload
 * is described by offsets into the read buffer, so that no Buffer view is made per record.
 * `payload` makes one on demand.
 */
export class ReplayRecord implements JournalRecord {
  seq = 0;
  atMs = 0;
  type = 0;
  keyId = '';
  /** The read buffer holding the payload (valid until the callback returns). */
  bytes: Buffer = EMPTY;
  /** Payload = bytes[payloadStart, payloadEnd). */
  payloadStart = 0;
  payloadEnd = 0;

  get payload(): Buffer {
    return this.bytes.subarray(this.payloadStart, this.payloadEnd);
  }
}

export interface ReplayOptions {
  /** First seq to deliver (default 1). */
  fromSeq?: number;
  /** Last seq to deliver, inclusive (default: everything). */
  toSeq?: number;
  /** Recompute and check every record's HMAC chain hash; needs `keys`. Default false. */
  verifyChain?: boolean;
  keys?: JournalKeys;
  /** Read size (default 8 MiB). */
  chunkBytes?: number;
  /**
   * A torn tail at the end of the newest segment (a write that never completed; the writer cuts
   * it when it next opens the journal): 'stop' (default) ends the replay normally and reports
   * it in the result; 'throw' raises a JournalIntegrityError of kind 'torn_tail'.
   */
  tornTail?: 'stop' | 'throw';
}

export interface TornTail {
  segment: string;
  /** Offset where the valid data ends. */
  offset: number;
  /** Bytes after `offset`. */
  bytes: number;
}

export interface ReplayResult {
  /** Records delivered. */
  records: number;
  /** Seq of the last record delivered (0 when none). */
  lastSeq: number;
  /** True when the callback asked to stop or `toSeq` was reached. */
  stopped: boolean;
  tornTail: TornTail | null;
  /** Segment files opened. */
  segments: number;
}

/** Result of the shared walk: like ReplayResult but errors are returned, not thrown. */
export interface WalkResult extends ReplayResult {
  error: JournalIntegrityError | null;
  /**
   * The newest segment, when the walk read it to its end (no error, not stopped early): hand it
   * to `JournalWriter.open({ tail })` so that the writer does not read it again.
   */
  tail: SegmentTail | null;
}

type OnRecord = (rec: ReplayRecord) => boolean | void;

/** Segment visitor doing the per-record work of a walk. */
class Walker implements SegmentVisitor {
  segName = '';
  /** Running chain hash (verifyChain only); null until a segment header seeds it. */
  prevHash: Buffer | null = null;
  delivered = 0;
  lastDelivered = 0;
  stopped = false;
  error: JournalIntegrityError | null = null;

  private readonly rec = new ReplayRecord();
  /** The current segment's last record seen (for the writer's tail); reset per segment. */
  lastBuf: Buffer | null = null;
  lastPos = 0;
  lastTotal = 0;
  private keyBytes: Buffer = EMPTY;
  private keyStr = '';

  constructor(
    private readonly fromSeq: number,
    private readonly toSeq: number,
    private readonly ring: KeyRing | null,
    private readonly onRecord: OnRecord,
    readonly afterChunk: (() => Promise<void> | undefined) | undefined,
  ) {}

  header(h: SegmentHeader): boolean {
    if (this.ring === null) return true;
    const expected = h.firstSeq === 1 ? GENESIS_HASH : this.prevHash;
    if (expected !== null && !expected.equals(h.prevHash)) {
      this.error = new JournalIntegrityError(
        'chain',
        h.firstSeq,
        this.segName,
        0,
        h.firstSeq === 1
          ? `${this.segName}: the first segment header must carry the all-zero genesis hash`
          : `${this.segName}: segment header prevHash does not match the hash of record ${h.firstSeq - 1}`,
      );
      return false;
    }
    this.prevHash = h.prevHash;
    return true;
  }

  record(buf: Buffer, p: number, total: number, seq: number, fileOffset: number): boolean {
    this.lastBuf = buf;
    this.lastPos = p;
    this.lastTotal = total;
    const hashOff = recordHashOffset(total);
    if (seq < this.fromSeq) {
      // Before the range: only advance the chain with the stored hash.
      if (this.ring !== null) this.prevHash = buf.subarray(p + hashOff, p + hashOff + HASH_BYTES);
      return true;
    }
    const k = buf[p + 22];
    const keyId = this.keyIdAt(buf, p + RECORD_FIXED_BYTES, k);
    if (this.ring !== null) {
      const key = this.ring.key(keyId);
      if (key === undefined) {
        this.error = new JournalIntegrityError(
          'unknown_key',
          seq,
          this.segName,
          fileOffset,
          `${this.segName}: record ${seq} at offset ${fileOffset} is chained with unknown key id ${JSON.stringify(keyId)}`,
        );
        return false;
      }
      const h = chainHash(key, this.prevHash!, buf, p, p + hashOff);
      if (!hashEquals(h, buf, p + hashOff)) {
        this.error = new JournalIntegrityError(
          'chain',
          seq,
          this.segName,
          fileOffset,
          `${this.segName}: hash mismatch at record ${seq} (offset ${fileOffset})`,
        );
        return false;
      }
      this.prevHash = h;
    }
    const rec = this.rec;
    rec.seq = seq;
    rec.atMs = recordAtMs(buf, p);
    rec.type = getU16(buf, p + 20);
    rec.keyId = keyId;
    const pstart = p + RECORD_FIXED_BYTES + k;
    rec.bytes = buf;
    rec.payloadStart = pstart;
    rec.payloadEnd = pstart + getU32(buf, p + 24);
    this.delivered++;
    this.lastDelivered = seq;
    if (this.onRecord(rec) === false || seq >= this.toSeq) {
      this.stopped = true;
      return false;
    }
    return true;
  }

  /** Decodes the key id, reusing the previous string when the bytes are the same. */
  private keyIdAt(buf: Buffer, at: number, k: number): string {
    const cached = this.keyBytes;
    if (cached.length === k) {
      let same = true;
      for (let i = 0; i < k; i++) {
        if (buf[at + i] !== cached[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.keyStr;
    }
    this.keyBytes = Buffer.from(buf.subarray(at, at + k));
    this.keyStr = buf.toString('utf8', at, at + k);
    return this.keyStr;
  }
}

/**
 * Walks the journal from `opts.fromSeq`, handing records to `onRecord` (a reused object: copy
 * what you keep; its payload bytes are only valid during the call). Integrity problems end the walk and are returned in `error`; a torn tail in
 * the newest segment is returned in `tornTail` (and not as an error).
 */
export async function walkJournal(
  dir: string,
  onRecord: OnRecord,
  opts: ReplayOptions & { afterChunk?: () => Promise<void> | undefined } = {},
): Promise<WalkResult> {
  const fromSeq = Math.max(1, opts.fromSeq ?? 1);
  const toSeq = opts.toSeq ?? Number.POSITIVE_INFINITY;
  let ring: KeyRing | null = null;
  if (opts.verifyChain === true) {
    if (opts.keys === undefined) throw new TypeError('verifyChain needs keys');
    ring = new KeyRing(opts.keys);
  }
  const walker = new Walker(fromSeq, toSeq, ring, onRecord, opts.afterChunk);
  const res: WalkResult = { records: 0, lastSeq: 0, stopped: false, tornTail: null, segments: 0, error: null, tail: null };
  const finish = (): WalkResult => {
    res.records = walker.delivered;
    res.lastSeq = walker.lastDelivered;
    res.stopped = walker.stopped;
    res.error ??= walker.error;
    return res;
  };

  const segs = await listSegments(dir);
  if (segs.length === 0 || toSeq < fromSeq) return finish();
  const startIdx = segmentIndexFor(segs, fromSeq);
  if (startIdx === 0 && segs[0].firstSeq > 1 && fromSeq < segs[0].firstSeq) {
    res.error = gapError(1, segs[0], `journal starts at seq ${segs[0].firstSeq}: earlier segments are missing`);
    return finish();
  }

  let lastSeq = segs[startIdx].firstSeq - 1;
  for (let i = startIdx; i < segs.length; i++) {
    const seg = segs[i];
    if (seg.firstSeq !== lastSeq + 1) {
      res.error = gapError(lastSeq + 1, seg, `expected a segment starting at seq ${lastSeq + 1}, found ${seg.name}`);
      return finish();
    }
    walker.segName = seg.name;
    walker.lastBuf = null;
    const isLast = i === segs.length - 1;
    const scan = await scanSegment(seg, { isLast, chunkBytes: opts.chunkBytes }, walker);
    res.segments++;
    if (walker.error !== null || walker.stopped) return finish();
    const pb = scan.problem;
    if (isLast && scan.header !== null && (pb === null || pb.kind === 'torn_tail')) {
      const lb = walker.lastBuf as Buffer | null;
      res.tail = { segment: seg.name, scan, last: lb === null ? null : tailRecord(lb, walker.lastPos, walker.lastTotal) };
    }
    if (pb !== null) {
      if (pb.kind === 'torn_tail') {
        res.tornTail = { segment: seg.name, offset: pb.offset, bytes: scan.fileSize - pb.offset };
        if (opts.tornTail === 'throw') res.error = new JournalIntegrityError('torn_tail', pb.seq, seg.name, pb.offset, pb.message);
      } else {
        res.error = new JournalIntegrityError(pb.kind, pb.seq, seg.name, pb.offset, pb.message);
      }
      return finish();
    }
    lastSeq = scan.lastSeq;
  }
  return finish();
}

function gapError(seq: number, seg: SegmentInfo, message: string): JournalIntegrityError {
  return new JournalIntegrityError('gap', seq, seg.name, 0, message);
}

/**
 * Fast replay: calls `onRecord` for every record from `opts.fromSeq` in order. The record
 * object is reused between calls (its payload view stays valid). Return `false` from the
 * callback to stop early.
 *
 * @throws JournalIntegrityError on any integrity problem (and on a torn tail with
 *         `tornTail: 'throw'`); records before the problem have been delivered.
 */
export async function replayJournal(dir: string, onRecord: OnRecord, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const res = await walkJournal(dir, onRecord, opts);
  if (res.error !== null) throw res.error;
  const { error: _error, tail: _tail, ...out } = res;
  return out;
}

/**
 * Async iterator over the records from `opts.fromSeq` (a fresh object per record). Reads
 * ahead one chunk (default 1 MiB here) and waits for the consumer before reading more. Slower
 * than {@link replayJournal}; meant for tools and tailing, not for recovery.
 *
 * @throws JournalIntegrityError as {@link replayJournal} does.
 */
export async function* readJournal(dir: string, opts: ReplayOptions = {}): AsyncGenerator<JournalRecord, ReplayResult> {
  let buffered: JournalRecord[] = [];
  let resumeProducer: (() => void) | null = null;
  let wakeConsumer: (() => void) | null = null;
  let finished = false;
  let aborted = false;
  let outcome: WalkResult | null = null;
  let failure: unknown = null;

  const run = walkJournal(
    dir,
    (r) => {
      if (aborted) return false;
      buffered.push({ seq: r.seq, atMs: r.atMs, type: r.type, keyId: r.keyId, payload: r.payload });
      return undefined;
    },
    {
      ...opts,
      chunkBytes: opts.chunkBytes ?? 1024 * 1024,
      afterChunk: () => {
        if (buffered.length === 0 || aborted) return undefined;
        return new Promise<void>((res) => {
          resumeProducer = res;
          const w = wakeConsumer;
          wakeConsumer = null;
          w?.();
        });
      },
    },
  )
    .then(
      (r) => {
        outcome = r;
      },
      (err: unknown) => {
        failure = err;
      },
    )
    .finally(() => {
      finished = true;
      const w = wakeConsumer;
      wakeConsumer = null;
      w?.();
    });

  try {
    for (;;) {
      if (buffered.length > 0) {
        const out = buffered;
        buffered = [];
        for (const r of out) yield r;
        const rp = resumeProducer as (() => void) | null;
        resumeProducer = null;
        rp?.();
        continue;
      }
      if (finished) break;
      await new Promise<void>((res) => {
        wakeConsumer = res;
      });
    }
  } finally {
    aborted = true;
    const rp = resumeProducer as (() => void) | null;
    resumeProducer = null;
    rp?.();
    await run;
  }
  if (failure !== null) throw failure;
  const res = outcome as WalkResult | null;
  if (res === null) throw new Error('journal walk ended without a result');
  if (res.error !== null) throw res.error;
  const { error: _error, tail: _tail, ...out } = res;
  return out;
}

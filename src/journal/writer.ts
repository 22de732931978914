/**
 * JournalWriter: the single writer of a journal directory, with group commit.
 *
 * Life of a record:
 *  1. `append()` runs synchronously on the caller's thread: it assigns the next seq, encodes the
 *     record straight into the current batch's buffer, computes its HMAC chain hash and CRC, and
 *     returns `{ seq, durable }`.
 *  2. Batches are written and synced strictly one at a time, in order. While a batch is being
 *     written and synced, new records accumulate in the next one. A batch is started when the
 *     previous one is done and it is due — full (`maxBatchBytes`), or its first record has waited
 *     `maxBatchDelayUs`, or the writer is closing. One batch = one positional write(v) + one
 *     fdatasync (or one O_DSYNC write). Syncs are never overlapped: Linux reports a writeback
 *     error to only one of the fsync calls made on a file, so a later batch's successful sync
 *     cannot vouch for an earlier one whose own sync is still running.
 *  3. `durable` resolves once the fdatasync covering the record has returned (with
 *     `syncMethod: 'dsync'`, once its O_DSYNC write has returned; with `fsync: false`, once the
 *     write has returned, not durable). On any write/fdatasync error the whole
 *     in-flight batch and every queued batch are rejected with that error and the writer enters
 *     a failed state in which `append()` throws: no record is ever acknowledged that a failed
 *     sync might have dropped.
 *
 * The writer uses the fs callback API on raw file descriptors (no sync I/O after `open()`),
 * keeps no global state other than a per-thread guard against two writers on one directory,
 * and works the same on the main thread and in a worker thread.
 *
 * One state machine (Open → Closing → Closed, or Failed) over a pipeline of batches
 * (open → written → synced → complete), so it stays in one file; opening (writer-open.ts), the
 * I/O calls (io.ts) and the options (writer-options.ts) live beside it.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { putU16, putU32, putU64 } from '@switchyard/protocol';
import { crc32c } from './crc32c.js';
import { GENESIS_HASH, HASH_BYTES, MAX_PAYLOAD_BYTES, RECORD_FIXED_BYTES, RECORD_MARKER, RECORD_OVERHEAD, SEGMENT_HEADER_BYTES, KeyRing, chainHash, encodeSegmentHeader, recordHashOffset, segmentName, type JournalAnchor } from './format.js';
import { JournalClosedError, JournalFailedError } from './errors.js';
import { advance, closeAsync, defaultJournalIo, fdatasyncAsync, fsyncAsync, openAsync, segmentFlags, type JournalIo } from './io.js';
import { openJournalFiles, releaseDir, type WriterInit } from './writer-open.js';
import type { AppendResult, BatchInfo, JournalWriterOptions, JournalWriterStats } from './writer-options.js';

const noop = (): void => {};
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
const DEFAULT_MAX_BATCH_DELAY_US = 200;
const MAX_POOLED_ARENAS = 4;

interface NewSegment {
  firstSeq: number;
  name: string;
}

/** A group of records written with one write and made durable by one fdatasync. */
class Batch {
  /** Completed pieces of the batch, in order (subarrays of arenas). */
  readonly pieces: Buffer[] = [];
  /** Arenas backing the pieces, returned to the pool after the write. */
  readonly arenas: Buffer[] = [];
  cur: Buffer;
  curLen = 0;
  records = 0;
  /** Record bytes (excludes a segment header). */
  recordBytes = 0;
  /** All bytes to write (includes a segment header). */
  bytes = 0;
  firstSeq = 0;
  lastSeq = 0;
  lastAtMs = 0;
  lastKeyId = '';
  lastHash: Buffer = GENESIS_HASH;
  sealed = false;
  /** completed (durable), possibly by a later batch's sync */
  done = false;
  readonly openedAt = performance.now();
  writeUs = 0;
  syncStartedAt = 0;
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (err: Error) => void;

  constructor(
    arena: Buffer,
    readonly newSegment: NewSegment | null,
  ) {
    this.cur = arena;
    this.arenas.push(arena);
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(noop);
  }

  buffers(): Buffer[] {
    return this.curLen > 0 ? [...this.pieces, this.cur.subarray(0, this.curLen)] : this.pieces.slice();
  }
}

const enum State {
  Open,
  Closing,
  Closed,
  Failed,
}

/** See the module documentation. Create with {@link JournalWriter.open}. */
export class JournalWriter {
  readonly dir: string;
  readonly durableMode: 'fdatasync' | 'none';

  private readonly ring: KeyRing;
  private activeId: string;
  private activeKey: KeyObject;
  private activeIdBytes: Buffer;
  private readonly io: JournalIo;
  private readonly fsyncOn: boolean;
  /** segments opened with O_DSYNC: a completed write is durable */
  private readonly dsync: boolean;
  private readonly maxBatchBytes: number;
  private readonly maxBatchRecords: number;
  private readonly delayMs: number;
  private readonly segmentBytes: number;
  private readonly arenaBytes: number;
  private readonly onBatch: ((info: BatchInfo) => void) | undefined;
  private readonly onFailed: ((err: Error) => void) | undefined;

  private state = State.Open;
  private failure: Error | null = null;

  // Chain head (appended, maybe not durable).
  private seq: number;
  private lastHash: Buffer;

  // Durable head.
  private durableSeq: number;
  private durableAtMs: number;
  private durableKeyId: string;
  private durableHash: Buffer;

  // Segment being written (by the I/O side).
  private fd: number;
  private dirFd: number;
  private segName: string;
  private segPos: number;

  // Segment accounting on the append side (records assigned, maybe not written yet).
  private segAssignedBytes: number;
  private segAssignedRecords: number;

  private readonly queue: Batch[] = [];
  private openBatch: Batch | null = null;
  /** batch whose write is in progress */
  private writing: Batch | null = null;
  /** the batch written whose sync is in flight (at most one; an array for the age and failure paths) */
  private readonly syncing: Batch[] = [];
  private scheduled = false;
  /** The I/O seals records (sealWrite): append leaves their hash and CRC to it. */
  private readonly deferSeal: boolean;
  /** Inside poll(): a finished write is being completed in the middle of serving a request. */
  private inPoll = false;
  /** Pending delay timer, so close() can cut the wait short. */
  private timer: NodeJS.Timeout | null = null;
  private readonly arenaPool: Buffer[] = [];

  private bytesWrittenTotal = 0;
  private pendingRecordCount = 0;
  private pendingByteCount = 0;
  private batchCount = 0;

  private drainWaiters: Array<() => void> = [];
  private closePromise: Promise<void> | null = null;

  private constructor(init: WriterInit) {
    const o = init.opts;
    this.dir = init.dir;
    this.ring = init.ring;
    this.activeId = o.activeKeyId;
    this.activeKey = init.ring.key(o.activeKeyId)!;
    this.activeIdBytes = init.ring.idBytesOf(o.activeKeyId)!;
    this.io = { ...defaultJournalIo, ...o.io };
    this.deferSeal = this.io.sealWrite !== undefined;
    this.fsyncOn = o.fsync ?? true;
    // O_DSYNC is POSIX; where the platform has none, fall back to write + fdatasync.
    this.dsync = this.fsyncOn && o.syncMethod === 'dsync' && fs.constants.O_DSYNC !== undefined;
    this.durableMode = this.fsyncOn ? 'fdatasync' : 'none';
    this.maxBatchBytes = o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxBatchRecords = o.maxBatchRecords ? o.maxBatchRecords : Number.POSITIVE_INFINITY;
    this.delayMs = (o.maxBatchDelayUs ?? DEFAULT_MAX_BATCH_DELAY_US) / 1000;
    this.segmentBytes = o.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.arenaBytes = Math.min(Math.max(this.maxBatchBytes + 4096, 16 * 1024), 8 * 1024 * 1024);
    this.onBatch = o.onBatch;
    this.onFailed = o.onFailed;
    this.fd = init.fd;
    this.dirFd = init.dirFd;
    this.segName = init.segName;
    this.segPos = init.segPos;
    this.segAssignedBytes = init.segPos;
    this.segAssignedRecords = init.segRecords;
    this.seq = init.seq;
    this.lastHash = init.lastHash;
    this.durableSeq = init.seq;
    this.durableHash = init.lastHash;
    this.durableAtMs = init.lastAtMs;
    this.durableKeyId = init.lastKeyId;
  }

  /**
   * Opens (or creates) the journal in `opts.dir` (writer-open.ts): cuts a torn tail, refuses
   * damage before the end ({@link JournalIntegrityError}), resumes after the last valid record.
   */
  static async open(opts: JournalWriterOptions): Promise<JournalWriter> {
    return new JournalWriter(await openJournalFiles(opts));
  }

  /** Seq of the last appended record (0 when the journal is empty). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Seq of the last record known durable. */
  get lastDurableSeq(): number {
    return this.durableSeq;
  }

  get activeKeyId(): string {
    return this.activeId;
  }

  /** Records appended but not yet durable (same as stats().pendingRecords, without allocating). */
  get pendingRecords(): number {
    return this.pendingRecordCount;
  }

  /** Bytes of records appended but not yet durable. */
  get pendingBytes(): number {
    return this.pendingByteCount;
  }

  /** Age of the oldest record not yet durable, ms (0 when none). */
  get oldestPendingAgeMs(): number {
    const oldest = this.syncing[0] ?? this.writing ?? this.queue[0];
    return oldest === undefined ? 0 : performance.now() - oldest.openedAt;
  }

  /** Bytes written by this writer instance since open. */
  get bytesWritten(): number {
    return this.bytesWrittenTotal;
  }

  /** Batches completed since open. */
  get batches(): number {
    return this.batchCount;
  }

  get failed(): boolean {
    return this.state === State.Failed;
  }

  /** The I/O error that failed the writer, or null. */
  get failureCause(): Error | null {
    return this.failure;
  }

  /**
   * Switches the key that chains subsequent records. `secret` adds (or replaces) the key at the
   * same time; otherwise the id must be one of the keys given at open. Takes effect with the
   * next `append`. When the I/O seals the records (`sealWrite`), a key id keeps its secret: a
   * different secret for a known id is refused (RangeError), a new id is passed on to the I/O.
   */
  setActiveKey(keyId: string, secret?: Uint8Array): void {
    if (secret !== undefined && this.deferSeal) {
      // Records already handed to the I/O name the id with the secret it knows: an id may be
      // added, not given another secret.
      const known = this.ring.key(keyId);
      if (known !== undefined) {
        if (!known.equals(createSecretKey(Buffer.from(secret)))) {
          throw new RangeError(`key ${JSON.stringify(keyId)} already has another secret: use a new key id to rotate`);
        }
      } else {
        if (this.io.addKey === undefined) throw new RangeError('this journal I/O seals records and cannot take new keys');
        this.ring.add(keyId, secret);
        this.io.addKey(keyId, secret);
      }
    } else if (secret !== undefined) {
      this.ring.add(keyId, secret);
    }
    const key = this.ring.key(keyId);
    if (key === undefined) throw new RangeError(`unknown journal key id ${JSON.stringify(keyId)}`);
    this.activeId = keyId;
    this.activeKey = key;
    this.activeIdBytes = this.ring.idBytesOf(keyId)!;
  }

  /**
   * Appends one record. The seq is assigned synchronously; `durable` settles later.
   *
   * Why a promise and not a callback: records of one batch share a single promise, created when
   * the batch opens, so the per-record cost is one small result object — cheaper than storing a
   * callback per record and calling each one (an `appendCb` variant would allocate a closure per
   * record at most call sites anyway).
   *
   * @param type    record type, 0..65535 (opaque to the journal)
   * @param payload record bytes (copied; the caller may reuse the buffer right away)
   * @param atMs    timestamp stored in the record, epoch ms (default Date.now())
   * @throws JournalFailedError after an I/O failure, JournalClosedError after close(),
   *         RangeError for an invalid type/payload/atMs.
   */
  append(type: number, payload: Uint8Array, atMs: number = Date.now()): AppendResult {
    if (this.state !== State.Open) throw this.stateError();
    if (!(type >= 0 && type <= 0xffff && (type | 0) === type)) throw new RangeError(`record type must be a u16, got ${type}`);
    const p = payload.length;
    if (p > MAX_PAYLOAD_BYTES) throw new RangeError(`payload of ${p} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    if (!Number.isSafeInteger(atMs) || atMs < 0) throw new RangeError(`atMs must be a non-negative integer, got ${atMs}`);

    const idBytes = this.activeIdBytes;
    const k = idBytes.length;
    const total = RECORD_OVERHEAD + k + p;
    const seq = this.seq + 1;

    let batch = this.openBatch;
    if (this.segAssignedRecords > 0 && this.segAssignedBytes + total > this.segmentBytes) {
      // Segment rotation: this record opens a new segment, written by a batch of its own.
      if (batch !== null) batch.sealed = true;
      const name = segmentName(seq);
      batch = this.newBatch({ firstSeq: seq, name });
      const at = this.reserve(batch, SEGMENT_HEADER_BYTES);
      encodeSegmentHeader(batch.cur, at, seq, atMs, this.lastHash);
      batch.bytes += SEGMENT_HEADER_BYTES;
      this.segAssignedBytes = SEGMENT_HEADER_BYTES;
      this.segAssignedRecords = 0;
    } else if (batch === null) {
      batch = this.newBatch(null);
    }

    const off = this.reserve(batch, total);
    const b = batch.cur;
    putU32(b, off, total);
    putU64(b, off + 4, seq);
    putU64(b, off + 12, atMs);
    putU16(b, off + 20, type);
    b[off + 22] = k;
    b[off + 23] = RECORD_MARKER;
    putU32(b, off + 24, p);
    b.set(idBytes, off + RECORD_FIXED_BYTES);
    b.set(payload, off + RECORD_FIXED_BYTES + k);
    if (!this.deferSeal) {
      const hashAt = off + RECORD_FIXED_BYTES + k + p;
      const hash = chainHash(this.activeKey, this.lastHash, b, off, hashAt);
      b.set(hash, hashAt);
      putU32(b, hashAt + HASH_BYTES, crc32c(b, off, hashAt + HASH_BYTES));
      this.lastHash = hash;
      batch.lastHash = hash;
    }

    this.seq = seq;
    this.segAssignedBytes += total;
    this.segAssignedRecords++;
    this.pendingRecordCount++;
    this.pendingByteCount += total;
    if (batch.records === 0) batch.firstSeq = seq;
    batch.records++;
    batch.recordBytes += total;
    batch.bytes += total;
    batch.lastSeq = seq;
    batch.lastAtMs = atMs;
    batch.lastKeyId = this.activeId;
    if (batch.bytes >= this.maxBatchBytes || batch.records >= this.maxBatchRecords) {
      batch.sealed = true;
      this.openBatch = null;
    }
    if (this.writing === null) {
      // A batch that just became full (or was sealed by a rotation) must not sit out a timer.
      if (this.timer !== null && this.isDue(this.queue[0])) this.cancelTimer();
      if (!this.scheduled) this.schedule();
    }
    return { seq, durable: batch.promise };
  }

  /** Chain head of the last durable record, or null when the journal is empty. */
  anchor(): JournalAnchor | null {
    if (this.durableSeq === 0) return null;
    return {
      seq: this.durableSeq,
      atMs: this.durableAtMs,
      keyId: this.durableKeyId,
      hash: this.durableHash.toString('base64'),
    };
  }

  stats(): JournalWriterStats {
    const oldest = this.syncing[0] ?? this.writing ?? this.queue[0];
    return {
      lastSeq: this.seq,
      lastDurableSeq: this.durableSeq,
      bytesWritten: this.bytesWrittenTotal,
      pendingRecords: this.pendingRecordCount,
      pendingBytes: this.pendingByteCount,
      oldestPendingAgeMs: oldest === undefined ? 0 : performance.now() - oldest.openedAt,
      batches: this.batchCount,
      segment: this.segName,
      durableMode: this.durableMode,
      failed: this.state === State.Failed,
    };
  }

  /**
   * Lets the I/O implementation complete a finished write now (see io-thread.ts); cheap, and
   * meant to be called before each request the journal serves.
   */
  poll(): void {
    if (this.io.poll === undefined) return;
    this.inPoll = true;
    try {
      this.io.poll();
    } finally {
      this.inPoll = false;
    }
  }

  /**
   * Stops accepting appends, writes and syncs everything pending (regardless of the batch
   * delay), fdatasyncs the segment and the directory (also with `fsync: false`) and closes the
   * files. Rejects with the I/O error if the writer failed. Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closePromise = this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    if (this.state === State.Open) this.state = State.Closing;
    try {
      if (this.busy || this.queue.length > 0) {
        await new Promise<void>((res) => {
          this.drainWaiters.push(res);
          // Closing makes every batch due: cut a pending delay short.
          if (this.timer !== null) this.cancelTimer();
          if (this.writing === null && !this.scheduled) this.schedule();
        });
      }
      if (this.state === State.Closing) {
        await fdatasyncAsync(this.fd);
        await fsyncAsync(this.dirFd);
      }
    } finally {
      await closeAsync(this.fd).catch(noop);
      await closeAsync(this.dirFd).catch(noop);
      await this.io.close?.().catch(noop);
      releaseDir(this.dir);
      if (this.state !== State.Failed) this.state = State.Closed;
    }
    if (this.state === State.Failed) throw this.failure!;
  }

  // ------------------------------------------------------------------------------------------
  // Batching

  private stateError(): Error {
    return this.state === State.Failed ? new JournalFailedError(this.failure) : new JournalClosedError();
  }

  private newBatch(seg: NewSegment | null): Batch {
    const prev = this.openBatch;
    if (prev !== null) prev.sealed = true;
    const batch = new Batch(this.takeArena(0), seg);
    this.queue.push(batch);
    this.openBatch = batch;
    return batch;
  }

  private takeArena(min: number): Buffer {
    if (min <= this.arenaBytes) return this.arenaPool.pop() ?? Buffer.allocUnsafeSlow(this.arenaBytes);
    return Buffer.allocUnsafeSlow(min);
  }

  /** Reserves `n` bytes at the end of the batch; returns their offset in `batch.cur`. */
  private reserve(batch: Batch, n: number): number {
    if (batch.cur.length - batch.curLen < n) {
      if (batch.curLen > 0) batch.pieces.push(batch.cur.subarray(0, batch.curLen));
      const arena = this.takeArena(n);
      batch.arenas.push(arena);
      batch.cur = arena;
      batch.curLen = 0;
    }
    const at = batch.curLen;
    batch.curLen += n;
    return at;
  }

  private releaseArenas(batch: Batch): void {
    for (const a of batch.arenas) {
      if (a.length === this.arenaBytes && this.arenaPool.length < MAX_POOLED_ARENAS) this.arenaPool.push(a);
    }
    batch.arenas.length = 0;
  }

  /** Arranges for {@link tick} to run when the head batch is due. */
  private schedule(): void {
    if (this.queue.length === 0) return;
    this.scheduled = true;
    const remaining = this.isDue(this.queue[0]) ? 0 : this.queue[0].openedAt + this.delayMs - performance.now();
    // A timer, never a setImmediate re-check loop: spinning burns a CPU that, on a small machine,
    // the clients and the other threads need more than a few hundred microseconds of batching.
    if (remaining > 0) this.timer = setTimeout(this.tick, Math.min(0x7fffffff, Math.max(1, Math.ceil(remaining))));
    else setImmediate(this.tick);
  }

  private cancelTimer(): void {
    clearTimeout(this.timer!);
    this.timer = null;
    this.scheduled = false;
  }

  private isDue(b: Batch): boolean {
    return (
      this.state !== State.Open ||
      b.sealed ||
      this.delayMs < 1 ||
      performance.now() - b.openedAt >= this.delayMs
    );
  }

  private readonly tick = (): void => {
    this.scheduled = false;
    this.timer = null;
    this.next();
  };

  /** True while a batch is being written or synced. */
  private get busy(): boolean {
    return this.writing !== null || this.syncing.length > 0;
  }

  /** Starts the head batch if the pipeline has room and it is due; otherwise re-schedules. */
  private next(): void {
    if (this.writing !== null || this.syncing.length > 0 || this.state === State.Failed) return;
    const b = this.queue[0];
    if (b === undefined) {
      if (!this.busy) this.notifyDrained();
      return;
    }
    if (this.inPoll) {
      // A write finished and was noticed while a request is being served: the rest of this
      // event-loop turn's requests join the next batch, which starts once they are in.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.tick);
      }
      return;
    }
    if (!this.isDue(b)) {
      if (!this.scheduled) this.schedule();
      return;
    }
    this.queue.shift();
    if (this.openBatch === b) this.openBatch = null;
    b.sealed = true;
    this.writing = b;
    if (b.newSegment !== null) this.startSegment(b, b.newSegment);
    else this.write(b, b.buffers(), this.segPos, performance.now());
  }

  /** Opens the file of a new segment, then writes the batch (header first) into it. */
  private startSegment(b: Batch, seg: NewSegment): void {
    fs.open(join(this.dir, seg.name), segmentFlags({ fsync: this.fsyncOn, syncMethod: this.dsync ? 'dsync' : 'fdatasync' }, true), (err, fd) => {
      if (err !== null) return this.fail(b, err);
      const old = this.fd;
      this.fd = fd;
      this.segName = seg.name;
      this.segPos = 0;
      fs.close(old, noop);
      this.write(b, b.buffers(), 0, performance.now());
    });
  }

  private write(b: Batch, bufs: Buffer[], pos: number, t0: number): void {
    let want = 0;
    for (const x of bufs) want += x.length;
    if (this.deferSeal) {
      // The I/O seals the batch, chaining from the previous batch's last hash (known: batches
      // are written one after the other), and writes all of it.
      this.io.sealWrite!(this.fd, bufs, pos, b.newSegment !== null, this.lastHash, (err, n, lastHash) => {
        if (err !== null) return this.fail(b, err);
        if (n !== want) return this.fail(b, new Error(`journal write of ${want} bytes at offset ${pos} wrote ${n}`));
        b.lastHash = lastHash;
        this.lastHash = lastHash;
        this.written(b, pos, n, t0);
      });
      return;
    }
    this.io.writev(this.fd, bufs, pos, (err, n) => {
      if (err !== null) return this.fail(b, err);
      if (n < want) {
        if (n <= 0) return this.fail(b, new Error(`journal write made no progress at offset ${pos}`));
        return this.write(b, advance(bufs, n), pos + n, t0);
      }
      this.written(b, pos, n, t0);
    });
  }

  /** The batch's bytes are written (`n` of them from `pos`): complete it, or sync it. */
  private written(b: Batch, pos: number, n: number, t0: number): void {
    const t1 = performance.now();
    b.writeUs = (t1 - t0) * 1000;
    this.segPos = pos + n;
    this.bytesWrittenTotal += b.bytes;
    this.releaseArenas(b);
    this.writing = null;
    if (!this.fsyncOn) {
      this.complete(b, 0);
      this.next();
      return;
    }
    if (this.dsync) {
      // O_DSYNC: the write was the sync. A new file still needs its directory entry synced.
      if (b.newSegment === null) {
        this.complete(b, b.writeUs);
        this.next();
        return;
      }
      b.syncStartedAt = t0;
      this.syncing.push(b);
      fs.fsync(this.dirFd, (derr) => (derr !== null ? this.fail(b, derr) : this.synced(b)));
      return;
    }
    b.syncStartedAt = t1;
    this.syncing.push(b);
    this.io.fdatasync(this.fd, (serr) => {
      if (serr !== null) return this.fail(b, serr);
      if (b.newSegment === null) return this.synced(b);
      // A new file is only durable once its directory entry is.
      fs.fsync(this.dirFd, (derr) => {
        if (derr !== null) return this.fail(b, derr);
        this.synced(b);
      });
    });
  }

  /** `b`'s sync returned successfully: it is durable. */
  private synced(b: Batch): void {
    if (b.done || this.state === State.Failed) return;
    this.syncing.length = 0;
    this.complete(b, (performance.now() - b.syncStartedAt) * 1000);
    this.next();
  }

  private complete(b: Batch, syncUs: number): void {
    b.done = true;
    this.durableSeq = b.lastSeq;
    this.durableAtMs = b.lastAtMs;
    this.durableKeyId = b.lastKeyId;
    this.durableHash = b.lastHash;
    this.pendingRecordCount -= b.records;
    this.pendingByteCount -= b.recordBytes;
    this.batchCount++;
    b.resolve();
    if (this.onBatch !== undefined) {
      try {
        this.onBatch({
          records: b.records,
          bytes: b.bytes,
          firstSeq: b.firstSeq,
          lastSeq: b.lastSeq,
          writeUs: b.writeUs,
          syncUs,
          ageUs: (performance.now() - b.openedAt) * 1000,
        });
      } catch {
        // Metrics must not break the journal.
      }
    }
  }

  private fail(b: Batch, err: Error): void {
    if (this.state === State.Failed) return;
    this.state = State.Failed;
    this.failure = err;
    const failedBatches = [...new Set([...this.syncing, ...(this.writing !== null ? [this.writing] : []), b, ...this.queue])];
    this.writing = null;
    this.syncing.length = 0;
    this.queue.length = 0;
    this.openBatch = null;
    this.pendingRecordCount = 0;
    this.pendingByteCount = 0;
    for (const x of failedBatches) x.reject(err);
    try {
      this.onFailed?.(err);
    } catch {
      // ignore
    }
    this.notifyDrained();
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }
}


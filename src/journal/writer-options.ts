/** What a JournalWriter is opened with and what it reports (writer.ts). */
import type { JournalKeys } from './format.js';
import type { JournalIo } from './io.js';
import type { SegmentTail } from './segments.js';


export interface TornTailInfo {
  /** Segment file name that was cut (or moved aside). */
  segment: string;
  /** Offset at which the file was truncated (0 when the segment file was moved aside). */
  offset: number;
  /** Bytes cut from the segment. */
  bytesCut: number;
  /** True when the whole segment file was moved aside (its header itself was torn). */
  removedSegment: boolean;
  /** Seq of the last record kept; appends resume at lastSeq + 1. */
  lastSeq: number;
  /** Path of the side file holding the cut bytes (set-aside.ts): they are never deleted. */
  savedTo: string;
}

export interface BatchInfo {
  /** Records in the batch. */
  records: number;
  /** Bytes written (records, plus a segment header when the batch opened a new segment). */
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  /** Duration of the write call(s), microseconds. */
  writeUs: number;
  /** Duration of the fdatasync (plus directory fsync on segment creation); 0 when fsync is off. */
  syncUs: number;
  /** Time from the batch's first append to its completion, microseconds. */
  ageUs: number;
}

export interface JournalWriterOptions {
  /** Journal directory (created if missing). Owned by this writer alone. */
  dir: string;
  /** HMAC keys by id. */
  keys: JournalKeys;
  /** Key id used to chain new records; must be in `keys`. */
  activeKeyId: string;
  /** fdatasync each batch before acknowledging it (default true). */
  fsync?: boolean;
  /** A batch is started as soon as it holds this many bytes (default 1 MiB). */
  maxBatchBytes?: number;
  /** A batch is started as soon as it holds this many records (default 0 = no record limit). */
  maxBatchRecords?: number;
  /**
   * Longest time the first record of a batch waits for company before the batch is started,
   * in microseconds (default 200). Timers have millisecond granularity, and the writer never
   * spins: a delay below 1000 µs means "start as soon as the previous batch is done" (records
   * arriving while a write + fdatasync is in flight still share the next one).
   */
  maxBatchDelayUs?: number;
  /**
   * How a batch is made durable (with `fsync`): 'fdatasync' (default) writes, then calls
   * fdatasync; 'dsync' opens segments with O_DSYNC, so the write itself returns only once the
   * data is on disk — one system call and one thread-pool round trip per batch instead of two
   * (PostgreSQL's `open_datasync`).
   */
  syncMethod?: 'fdatasync' | 'dsync';
  /** Rotate to a new segment when the current one would exceed this size (default 64 MiB). */
  segmentBytes?: number;
  /** Called (once) during open when a torn tail was cut. */
  onTornTail?: (info: TornTailInfo) => void;
  /**
   * The newest segment as a replay just read it (`WalkResult.tail`), so that opening does not
   * read it again. Ignored unless it names the newest segment. Nothing may write the journal
   * between that replay and this open.
   */
  tail?: SegmentTail;
  /** Called after every successful batch; for metrics. Exceptions thrown here are ignored. */
  onBatch?: (info: BatchInfo) => void;
  /** Called once when the writer enters the failed state. */
  onFailed?: (err: Error) => void;
  /** I/O overrides (tests). */
  io?: Partial<JournalIo>;
}

export interface AppendResult {
  seq: number;
  /**
   * Settles when the record is durable (see class doc). Records of the same batch share one
   * promise; it is pre-marked as handled, so ignoring it never raises an unhandled rejection.
   */
  durable: Promise<void>;
}

export interface JournalWriterStats {
  lastSeq: number;
  lastDurableSeq: number;
  /** Bytes written by this writer instance since open. */
  bytesWritten: number;
  /** Records appended but not yet durable (queued or in flight). */
  pendingRecords: number;
  pendingBytes: number;
  /** Age of the oldest not-yet-durable record, ms (0 when none). */
  oldestPendingAgeMs: number;
  /** Batches completed (= fdatasync calls when fsync is on). */
  batches: number;
  /** Segment file currently appended to. */
  segment: string;
  durableMode: 'fdatasync' | 'none';
  failed: boolean;
}

/** Directories with an open writer in this thread (guards against accidental double opens). */

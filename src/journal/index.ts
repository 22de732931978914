/**
 * Journal (write-ahead log / audit log) public API. See docs/journal.md for the on-disk format
 * and the durability contract.
 */
export { JournalWriter } from './writer.js';
export { blockingJournalIo, defaultJournalIo, type JournalIo } from './io.js';
export type { AppendResult, BatchInfo, JournalWriterOptions, JournalWriterStats, TornTailInfo } from './writer-options.js';
export {
  readJournal,
  replayJournal,
  walkJournal,
  type WalkResult,
  type JournalRecord,
  ReplayRecord,
  type ReplayOptions,
  type ReplayResult,
  type TornTail,
} from './reader.js';
export { readAnchor, verifyJournal, type VerifyError, type VerifyOptions, type VerifyResult } from './verify.js';
export {
  listSnapshots,
  loadLatestSnapshot,
  snapshotName,
  writeSnapshot,
  type Snapshot,
  type WriteSnapshotOptions,
} from './snapshot.js';
export { JOURNAL_ERROR_CODES, JournalClosedError, JournalFailedError, JournalIntegrityError, type JournalErrorCode, type JournalErrorKind } from './errors.js';
export { crc32c } from './crc32c.js';
export {
  MAX_PAYLOAD_BYTES,
  segmentName,
  type JournalAnchor,
  type JournalKeys,
} from './format.js';
export { listSegments, type SegmentInfo } from './segments.js';

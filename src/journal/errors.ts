/** Error types raised by the journal. */

/** Kinds of integrity problem found when reading or verifying a journal. */
export type JournalErrorKind = 'checksum' | 'chain' | 'unknown_key' | 'gap' | 'torn_tail';

/** Stable error codes, one per {@link JournalErrorKind} (for logs, exit messages and alerts). */
export const JOURNAL_ERROR_CODES = {
  /** a complete record (or segment header) fails its CRC or framing */
  checksum: 'JOURNAL_CORRUPT_RECORD',
  /** a record's HMAC chain hash does not match (edited, with its CRC recomputed; or a wrong key) */
  chain: 'JOURNAL_CHAIN_BROKEN',
  /** a record is chained with a key id the gateway does not have */
  unknown_key: 'JOURNAL_UNKNOWN_KEY',
  /** a sequence number or a segment is missing */
  gap: 'JOURNAL_GAP',
  /** an incomplete last write (reported as an error only where asked to) */
  torn_tail: 'JOURNAL_TORN_TAIL',
} as const satisfies Record<JournalErrorKind, string>;

export type JournalErrorCode = (typeof JOURNAL_ERROR_CODES)[JournalErrorKind];

/**
 * An integrity problem at a precise place: `segment` is the segment file name, `offset` the byte
 * offset inside it of the record (or segment header, offset 0) that is bad, `seq` the sequence
 * number expected at that place. `code` is stable (JOURNAL_ERROR_CODES); the message names the
 * segment, the offset and the seq.
 */
export class JournalIntegrityError extends Error {
  readonly code: JournalErrorCode;

  constructor(
    readonly kind: JournalErrorKind,
    readonly seq: number,
    readonly segment: string,
    readonly offset: number,
    /** the message without the code */
    readonly detail: string,
  ) {
    super(`${JOURNAL_ERROR_CODES[kind]}: ${detail}`);
    this.name = 'JournalIntegrityError';
    this.code = JOURNAL_ERROR_CODES[kind];
  }
}

/**
 * Thrown by `append` once a write or fdatasync has failed. The writer never retries a failed
 * fdatasync (after such a failure the kernel may have dropped the dirty pages, so a later
 * successful sync would prove nothing); the process must reopen the journal, which re-reads the
 * tail from disk. `cause` is the original I/O error.
 */
export class JournalFailedError extends Error {
  constructor(cause: unknown) {
    super(`journal writer failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'JournalFailedError';
  }
}

/** Thrown by `append` after `close()` was called. */
export class JournalClosedError extends Error {
  constructor() {
    super('journal writer is closed');
    this.name = 'JournalClosedError';
  }
}

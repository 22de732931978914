/** Error types raised by the journal. */

/** Kinds of integrity problem found when reading or verifying a journal. */
export type JournalErrorKind = 'checksum' | 'chain' | 'unknown_key' | 'gap' | 'torn_tail';

/**
 * An integrity problem at a precise place: `segment` is the segment file name, `offset` the byte
 * offset inside it of the record (or segment header, offset 0) that is bad, `seq` the sequence
 * number expected at that place.
 */
export class JournalIntegrityError extends Error {
  constructor(
    readonly kind: JournalErrorKind,
    readonly seq: number,
    readonly segment: string,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'JournalIntegrityError';
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

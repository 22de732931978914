/**
 * Errors raised by the back office's storage, typed with a stable `code` and the driver's error
 * as `cause`:
 *
 *   UNAVAILABLE  the database cannot be reached or went away (connection refused or reset,
 *                server shutting down, too many connections): retried with backoff
 *   REJECTED     the database refused the data itself (SQLSTATE class 22 data exception or 23
 *                integrity violation): retrying the same event cannot succeed
 *   LOCKED       another back office holds the books (single writer, see store.ts)
 *   FAILED       anything else (a bug, an unexpected server error): retried with backoff, loudly
 */
export type StorageErrorCode = 'UNAVAILABLE' | 'REJECTED' | 'LOCKED' | 'FAILED';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
  /** SQLSTATE of the cause, when it has one */
  get sqlState(): string | undefined {
    const c = (this.cause as { code?: unknown } | undefined)?.code;
    return typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c) ? c : undefined;
  }
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Classifies a driver error (node-postgres) into a {@link StorageError}. */
export function storageError(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  let kind: StorageErrorCode = 'FAILED';
  if (typeof code === 'string') {
    if (NET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') kind = 'UNAVAILABLE';
    else if (code.startsWith('22') || code.startsWith('23')) kind = 'REJECTED';
  } else if (/Connection terminated|not queryable|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(msg)) {
    kind = 'UNAVAILABLE';
  }
  return new StorageError(kind, `${what}: ${msg}`, { cause: err });
}

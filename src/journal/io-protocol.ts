/** Shared-memory layout between the journal I/O thread and its owner (io-thread.ts, io-worker.ts). */
import type { MessagePort } from 'node:worker_threads';

export interface IoThreadShared {
  /** Int32 control words, indexed by {@link CTL} */
  ctl: SharedArrayBuffer;
  /** Float64: the write position */
  pos: SharedArrayBuffer;
  /** the bytes of a write job */
  data: SharedArrayBuffer;
  /** a seal job's chain hash: the previous one in, the batch's last one out (32 bytes) */
  hash: SharedArrayBuffer;
  /** chain keys by id, when the thread seals (JOB_SEAL_WRITE) */
  keys: Map<string, Uint8Array> | null;
  /** keys added later ({@link KeyMessage}), read by the thread before it seals */
  keyPort: MessagePort | null;
}

/** A chain key added after the start (JournalWriter.setActiveKey with a new id). */
export interface KeyMessage {
  id: string;
  secret: Uint8Array;
}

export const CTL = { State: 0, Kind: 1, Fd: 2, Length: 3, Result: 4, Header: 5 } as const;
export const CTL_WORDS = 6;

export const STATE_IDLE = 0;
export const STATE_POSTED = 1;
export const STATE_DONE = 2;
export const STATE_STOP = 3;

export const JOB_WRITE = 1;
export const JOB_FDATASYNC = 2;
/** seal the records (seal.ts), then write all of them */
export const JOB_SEAL_WRITE = 3;

/**
 * The journal's file I/O: the calls on the append path (replaceable for tests and by the I/O
 * thread), segment open flags, and the few promise-based calls used at open and close.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

export const openAsync = promisify(fs.open);
export const closeAsync = promisify(fs.close);
const writeAsync = promisify(fs.write);
export const fsyncAsync = promisify(fs.fsync);
export const fdatasyncAsync = promisify(fs.fdatasync);
export const ftruncateAsync = promisify(fs.ftruncate);

/**
 * The two I/O calls on the append path. Replaceable for tests (to hold a sync, or to inject an
 * error); the defaults are fs.write/fs.writev and fs.fdatasync.
 */
export interface JournalIo {
  /** Positional write of `buffers` at `position`; may write fewer bytes than asked. */
  writev(
    fd: number,
    buffers: Buffer[],
    position: number,
    cb: (err: NodeJS.ErrnoException | null, bytesWritten: number) => void,
  ): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  /**
   * Seals (seal.ts: chain hashes and CRCs, and a leading segment header's link when `header`)
   * and writes all of `buffers` at `position`, chaining from `prevHash`; calls back with the
   * bytes written (all of them, or an error) and the chain hash of the last record. A writer
   * whose I/O has it leaves sealing to it and computes no HMAC itself.
   */
  sealWrite?(
    fd: number,
    buffers: Buffer[],
    position: number,
    header: boolean,
    prevHash: Buffer,
    cb: (err: NodeJS.ErrnoException | null, bytesWritten: number, lastHash: Buffer) => void,
  ): void;
  /**
   * Makes a new chain key known to an implementation that seals (`sealWrite`), before any record
   * chained with it is handed over.
   */
  addKey?(id: string, secret: Uint8Array): void;
  /** Completes a finished call now, if the implementation can tell (see io-thread.ts). */
  poll?(): void;
  /** Releases what the implementation holds (called once the writer is closed). */
  close?(): Promise<void>;
}

export const defaultJournalIo: JournalIo = {
  writev(fd, buffers, position, cb) {
    if (buffers.length === 1) {
      const b = buffers[0];
      fs.write(fd, b, 0, b.length, position, (err, n) => cb(err, n));
    } else {
      fs.writev(fd, buffers, position, (err, n) => cb(err, n));
    }
  },
  fdatasync(fd, cb) {
    fs.fdatasync(fd, cb);
  },
};

/**
 * Blocking I/O for a writer that owns a thread of its own (a drain worker): the write and the
 * fdatasync run on the calling thread and complete before returning. Handing each call to the
 * libuv thread pool costs a cross-thread wake-up per call, which on a small virtual machine was
 * tens of microseconds of CPU per batch; a dedicated thread can simply wait for its disk.
 * Never use it on the event-loop thread.
 */
export const blockingJournalIo: JournalIo = {
  writev(fd, buffers, position, cb) {
    let n: number;
    try {
      n = buffers.length === 1 ? fs.writeSync(fd, buffers[0]!, 0, buffers[0]!.length, position) : fs.writevSync(fd, buffers, position);
    } catch (err) {
      cb(err as NodeJS.ErrnoException, 0);
      return;
    }
    cb(null, n);
  },
  fdatasync(fd, cb) {
    try {
      fs.fdatasyncSync(fd);
    } catch (err) {
      cb(err as NodeJS.ErrnoException);
      return;
    }
    cb(null);
  },
};

/** open(2) flags of a segment file: read-write, created exclusively when new, O_DSYNC in dsync mode. */
export function segmentFlags(o: { fsync?: boolean; syncMethod?: 'fdatasync' | 'dsync' }, create: boolean): number {
  const c = fs.constants;
  let f = c.O_RDWR;
  if (create) f |= c.O_CREAT | c.O_EXCL;
  if ((o.fsync ?? true) && o.syncMethod === 'dsync' && c.O_DSYNC !== undefined) f |= c.O_DSYNC;
  return f;
}

/** Drops the first `n` bytes from a list of buffers (after a short write). */
export function advance(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

export async function writeFully(fd: number, buf: Buffer, pos: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await writeAsync(fd, buf, off, buf.length - off, pos + off);
    if (bytesWritten <= 0) throw new Error('journal write made no progress');
    off += bytesWritten;
  }
}

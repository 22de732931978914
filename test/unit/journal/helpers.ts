/** Shared fixtures for the journal tests (not a test file itself). */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { JournalIo } from '../../../src/journal/io.js';

export const KEYS = { k1: Buffer.from('first-secret'), k2: Buffer.from('second-secret') };

/** A fresh temporary directory, removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-journal-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Payload whose bytes encode `i` (so replays can be checked), `size` bytes long. */
export function payloadFor(i: number, size = 100): Buffer {
  const b = Buffer.alloc(size, i & 0xff);
  if (size >= 4) b.writeUInt32LE(i, 0);
  return b;
}

/** Lets pending I/O callbacks and promise reactions run. */
export function turn(): Promise<void> {
  return new Promise((res) => setImmediate(res));
}

export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** Tracks whether a promise has settled, without affecting it. */
export function track(p: Promise<unknown>): { settled: boolean; error: unknown } {
  const s = { settled: false, error: undefined as unknown };
  p.then(
    () => {
      s.settled = true;
    },
    (err: unknown) => {
      s.settled = true;
      s.error = err;
    },
  );
  return s;
}

/**
 * An fdatasync hook that holds every call until the test releases it; the real fdatasync runs
 * on release (or the given error is reported instead).
 */
export class HeldSync {
  readonly pending: Array<{ fd: number; cb: (err: NodeJS.ErrnoException | null) => void }> = [];
  calls = 0;
  private waiter: (() => void) | null = null;

  readonly io: Partial<JournalIo> = {
    fdatasync: (fd, cb) => {
      this.calls++;
      this.pending.push({ fd, cb });
      const w = this.waiter;
      this.waiter = null;
      w?.();
    },
  };

  /** Resolves once at least one sync call is held. */
  async nextCall(): Promise<void> {
    if (this.pending.length > 0) return;
    await new Promise<void>((res) => {
      this.waiter = res;
    });
  }

  /** Completes the oldest held call: really syncs, or fails with `err`. */
  release(err?: NodeJS.ErrnoException): void {
    const call = this.pending.shift();
    if (call === undefined) throw new Error('no sync call is held');
    if (err !== undefined) call.cb(err);
    else fs.fdatasync(call.fd, call.cb);
  }
}

export function ioError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure`), { code });
}

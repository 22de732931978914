/**
 * The journal I/O thread (see io-thread.ts): waits for one job at a time in shared memory,
 * runs it with blocking calls (a positional write, which is the sync on an O_DSYNC file, or an
 * fdatasync; for a seal job, first the records' chain hashes and CRCs), publishes the result in
 * shared memory and posts a wake-up message.
 */
import * as fs from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { KeyRing } from './format.js';
import { CTL, JOB_FDATASYNC, JOB_SEAL_WRITE, JOB_WRITE, STATE_DONE, STATE_IDLE, STATE_POSTED, type IoThreadShared, type KeyMessage } from './io-protocol.js';
import { sealRecords } from './seal.js';

const shared = workerData as IoThreadShared;
const ctl = new Int32Array(shared.ctl);
const pos = new Float64Array(shared.pos);
const data = Buffer.from(shared.data);
const hash = Buffer.from(shared.hash);
const ring = shared.keys === null ? null : new KeyRing(shared.keys);

/** Takes the keys added since the last job (posted before that job, so they are queued now). */
function takeNewKeys(): void {
  if (shared.keyPort === null) return;
  for (let m = receiveMessageOnPort(shared.keyPort); m !== undefined; m = receiveMessageOnPort(shared.keyPort)) {
    const k = m.message as KeyMessage;
    ring!.add(k.id, k.secret);
  }
}
const port = parentPort!;

/** Writes all of `data[0, len)` at `at` (a regular file may take a write in pieces). */
function writeAll(fd: number, len: number, at: number): number {
  let done = 0;
  while (done < len) {
    const n = fs.writeSync(fd, data, done, len - done, at + done);
    if (n <= 0) throw new Error(`journal write made no progress at offset ${at + done}`);
    done += n;
  }
  return done;
}

for (;;) {
  // Sleep until a job is posted: from IDLE, or from DONE when the owner has not taken the
  // previous result yet (it moves DONE to IDLE without waking this thread).
  let state = Atomics.load(ctl, CTL.State);
  while (state === STATE_IDLE || state === STATE_DONE) {
    Atomics.wait(ctl, CTL.State, state);
    state = Atomics.load(ctl, CTL.State);
  }
  if (state !== STATE_POSTED) break; // STATE_STOP
  const fd = ctl[CTL.Fd]!;
  let result = 0;
  let error: { code: string | undefined; message: string } | null = null;
  try {
    const kind = ctl[CTL.Kind];
    if (kind === JOB_WRITE) result = fs.writeSync(fd, data, 0, ctl[CTL.Length]!, pos[0]!);
    else if (kind === JOB_FDATASYNC) fs.fdatasyncSync(fd);
    else if (kind === JOB_SEAL_WRITE) {
      const len = ctl[CTL.Length]!;
      takeNewKeys();
      const last = sealRecords(data, 0, len, ring!, Buffer.from(hash), ctl[CTL.Header] === 1);
      result = writeAll(fd, len, pos[0]!);
      hash.set(last);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    error = { code: e.code, message: e.message };
    result = -1;
  }
  ctl[CTL.Result] = result;
  Atomics.store(ctl, CTL.State, STATE_DONE);
  // The event loop may be idle: wake it (it also polls the state between requests).
  port.postMessage(error);
}

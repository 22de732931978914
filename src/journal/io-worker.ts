/**
 * The journal I/O thread (see io-thread.ts): waits for one job at a time in shared memory,
 * runs it with a blocking call (a positional write, which is the sync on an O_DSYNC file, or an
 * fdatasync), publishes the result in shared memory and posts a wake-up message.
 */
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CTL, JOB_FDATASYNC, JOB_WRITE, STATE_DONE, STATE_IDLE, STATE_POSTED, type IoThreadShared } from './io-protocol.js';

const shared = workerData as IoThreadShared;
const ctl = new Int32Array(shared.ctl);
const pos = new Float64Array(shared.pos);
const data = Buffer.from(shared.data);
const port = parentPort!;

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
    if (ctl[CTL.Kind] === JOB_WRITE) result = fs.writeSync(fd, data, 0, ctl[CTL.Length]!, pos[0]!);
    else if (ctl[CTL.Kind] === JOB_FDATASYNC) fs.fdatasyncSync(fd);
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

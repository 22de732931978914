/**
 * The open-loop generator's clock thread, as the source of an eval worker (plain JavaScript, so it
 * starts the same from the compiled build and under the tests' TypeScript loader) (sender mode `timer`): sleeps until each intended send
 * time with Atomics.wait (a timed futex wait: no CPU burnt, wake-up accuracy of the kernel's
 * timer slack, ~50–100 µs) and then publishes "requests up to n are due" in a shared cell and
 * notifies the sender thread, whose event loop wakes on Atomics.waitAsync and writes them.
 * So the sender thread never spins, and the schedule is kept by a thread that does nothing else.
 *
 * Shared layout (Int32Array over workerData.sab): [0] number of requests due, [1] stop flag.
 * Times are absolute milliseconds (performance.timeOrigin + performance.now()), the only clock
 * two threads share.
 */
export const TICK_WORKER_SOURCE = `
const { performance } = require('node:perf_hooks');
const { workerData } = require('node:worker_threads');
const { sab, startAbsMs, intervalMs, total } = workerData;
const cell = new Int32Array(sab);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const now = () => performance.timeOrigin + performance.now();
let due = 0;
while (due < total && Atomics.load(cell, 1) === 0) {
  const wait = startAbsMs + due * intervalMs - now();
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  due = Math.min(total, Math.floor((now() - startAbsMs) / intervalMs) + 1);
  Atomics.store(cell, 0, due);
  Atomics.notify(cell, 0);
}
`;

/**
 * Drain worker thread: the single consumer of the ingress rings assigned to it. It hands each
 * accepted order on to its sink, then frees the slot. When every ring is empty it sleeps up to
 * `idleWaitMs` (Atomics.wait with a timeout) instead of being woken by the producer, so the
 * event-loop thread never pays for a wake-up on the hot path.
 *
 * It exits once every ring is closed and drained.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { emptyRecord, RingConsumer, type RingBuffers, type RingRecord } from './ingress-ring.js';

export interface DrainWorkerData {
  workerIndex: number;
  rings: RingBuffers[];
  idleWaitMs: number;
}

/** Where drained orders go. The default hands them to no venue and only counts them. */
export interface DrainSink {
  accept(rec: RingRecord): void;
  /** called after each pass that handed on at least one record */
  flush(): void;
}

class CountingSink implements DrainSink {
  handed = 0;
  accept(): void {
    this.handed++;
  }
  flush(): void {}
}

export function runDrainLoop(data: DrainWorkerData, sink: DrainSink): void {
  const consumers = data.rings.map((r) => new RingConsumer(r));
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  const rec = emptyRecord();
  for (;;) {
    let moved = 0;
    let allClosed = true;
    for (const c of consumers) {
      const n = c.available();
      for (let i = 0; i < n; i++) sink.accept(c.peek(rec));
      if (n > 0) {
        c.release(n);
        moved += n;
      }
      if (!c.closed || c.available() > 0) allClosed = false;
    }
    if (moved > 0) {
      sink.flush();
      continue;
    }
    if (allClosed) return;
    Atomics.wait(sleepCell, 0, 0, data.idleWaitMs);
  }
}

if (parentPort !== null && workerData !== null && (workerData as { kind?: string }).kind === 'drain') {
  runDrainLoop(workerData as DrainWorkerData, new CountingSink());
}

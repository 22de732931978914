/**
 * Drain worker thread: the single consumer of the ingress rings assigned to it. It hands each
 * accepted order on to its sink, then frees the slot. When every ring is empty it sleeps up to
 * `idleWaitMs` (Atomics.wait with a timeout) instead of being woken by the producer, so the
 * event-loop thread never pays for a wake-up on the hot path.
 *
 * It exits once every ring is closed and drained.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer, type RingBuffers } from './ingress-ring.js';

export interface DrainWorkerData {
  workerIndex: number;
  rings: RingBuffers[];
  idleWaitMs: number;
}

/**
 * Where drained orders go. `take` is handed the ring with `n` records available (oldest first);
 * it may decode them with `ring.peekAt(i, rec)`. The slots are freed after it returns.
 */
export interface DrainSink {
  take(ring: RingConsumer, n: number): void;
  /** called after each pass that handed on at least one record */
  flush(): void;
}

/** No venue attached: orders are counted (the ring's processed counter) and dropped. */
class CountingSink implements DrainSink {
  take(): void {}
  flush(): void {}
}

export function runDrainLoop(data: DrainWorkerData, sink: DrainSink): void {
  const consumers = data.rings.map((r) => new RingConsumer(r));
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let moved = 0;
    let allClosed = true;
    for (const c of consumers) {
      const n = c.available();
      if (n > 0) {
        sink.take(c, n);
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

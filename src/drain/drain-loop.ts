/**
 * The drain loop: polls the rings a drain worker owns and hands what it reads to a sink. When
 * every ring is empty it sleeps up to `idleWaitMs` instead of being woken by the producer, so the
 * event-loop thread never pays for a wake-up on the hot path. Between passes it yields to the
 * worker's own event loop, where the journal's write and fdatasync completions arrive.
 *
 * Runs on a drain worker thread (drain-worker.ts); the loop ends once every ring is closed,
 * drained and (with a journal) durable.
 */
import { RingConsumer, type RingBuffers } from '../fastpath/ingress-ring.js';

/** Where drained orders go. */
export interface DrainSink {
  /**
   * Handed ring number `i` with `n` unread records (oldest first, see RingConsumer.peekAt).
   * Consumes up to `n` of them and returns how many; frees their slots now or later.
   */
  take(ring: RingConsumer, i: number, n: number): number;
  /** True when ring `i` must no longer be read (its journal failed). */
  isDead(i: number): boolean;
  /** Called after each pass that took at least one record. */
  flush(): void;
  /** Called once every ring is closed and drained. */
  close(): Promise<void>;
}

/** No journal: orders are counted (the ring's processed counter) and dropped. */
export class CountingSink implements DrainSink {
  take(ring: RingConsumer, _i: number, n: number): number {
    ring.release(n);
    return n;
  }
  isDead(): boolean {
    return false;
  }
  flush(): void {}
  async close(): Promise<void> {}
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runDrainLoop(rings: RingBuffers[], idleWaitMs: number, sink: DrainSink): Promise<void> {
  const consumers = rings.map((r) => new RingConsumer(r));
  for (;;) {
    let moved = 0;
    let open = false;
    for (let i = 0; i < consumers.length; i++) {
      if (sink.isDead(i)) continue;
      const c = consumers[i]!;
      const n = c.available();
      if (n > 0) moved += sink.take(c, i, n);
      if (!c.closed || c.available() > 0 || c.held > 0) open = true;
    }
    if (moved > 0) {
      sink.flush();
      await nextTurn();
      continue;
    }
    if (!open) break;
    await sleep(idleWaitMs);
  }
  await sink.close();
}


/**
 * Starts the drain worker threads and assigns each ingress ring (one per shard) to exactly one of
 * them: ring i belongs to worker i mod N, so every ring keeps a single consumer.
 */
import { Worker } from 'node:worker_threads';
import type { RingBuffers } from './ingress-ring.js';

export class DrainPool {
  private readonly workers: Worker[] = [];

  constructor(rings: RingBuffers[], workerCount: number, idleWaitMs = 1) {
    const n = Math.max(1, Math.min(workerCount, rings.length));
    const url = new URL(import.meta.url.endsWith('.ts') ? './drain-worker.ts' : './drain-worker.js', import.meta.url);
    for (let w = 0; w < n; w++) {
      const mine = rings.filter((_, i) => i % n === w);
      const worker = new Worker(url, {
        workerData: { kind: 'drain', workerIndex: w, rings: mine, idleWaitMs },
        name: `drain-${w}`,
      });
      worker.on('error', (err) => {
        // A drain worker dying stops its rings from draining; the queue watermarks then kill
        // those shards, so admission stays safe. Surface it loudly.
        process.emitWarning(`drain worker ${w} failed: ${err instanceof Error ? err.stack : String(err)}`);
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Resolves when every worker has exited (call after closing the rings). */
  async stopped(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => (w.threadId < 0 ? resolve() : w.once('exit', () => resolve())))));
  }
}

/**
 * Starts the drain worker threads and assigns each ingress ring (one per shard) to exactly one of
 * them: ring i belongs to worker i mod N, so every ring keeps a single consumer. With /v3
 * journaling on, each worker opens (and recovers) the journals of its shards before it starts
 * draining; {@link DrainPool.ready} settles when every worker has done so.
 */
import { Worker } from 'node:worker_threads';
import type { RingBuffers } from '../fastpath/ingress-ring.js';
import type { DrainMessage, DrainWorkerData } from './messages.js';
import type { ShardRecovery, V3JournalSettings } from './journal-sink.js';
import { SINK_COUNTERS } from './journal-sink.js';

export interface DrainPoolEvents {
  /** a shard's journal failed: its held orders will never be durable */
  onJournalFailed?(shard: number, message: string): void;
  /** durable-confirmation latencies shipped by a worker (HDR compressed base64) */
  onConfirmHistogram?(encoded: string): void;
}

export class DrainPool {
  private readonly workers: Worker[] = [];
  /** per worker, SINK_COUNTERS float64 counters (journal-sink.ts) */
  readonly counters: Float64Array;
  /** per shard: seq of the last durable record of its /v3 journal (0 without journaling) */
  readonly journalSeqs: Float64Array;
  /** what each shard's journal held at start (empty without journaling) */
  readonly ready: Promise<ShardRecovery[]>;

  constructor(rings: RingBuffers[], workerCount: number, journal: V3JournalSettings | null, events: DrainPoolEvents = {}, idleWaitMs = 1) {
    const n = Math.max(1, Math.min(workerCount, rings.length));
    const sab = new SharedArrayBuffer(n * SINK_COUNTERS * 8);
    this.counters = new Float64Array(sab);
    const seqs = new SharedArrayBuffer(rings.length * 8);
    this.journalSeqs = new Float64Array(seqs);
    const url = new URL(import.meta.url.endsWith('.ts') ? './drain-worker.ts' : './drain-worker.js', import.meta.url);
    const readies: Promise<ShardRecovery[]>[] = [];
    for (let w = 0; w < n; w++) {
      const shards = rings.map((_, i) => i).filter((i) => i % n === w);
      const data: DrainWorkerData = {
        kind: 'drain',
        workerIndex: w,
        shards,
        rings: shards.map((i) => rings[i]!),
        idleWaitMs,
        counters: sab,
        journalSeqs: seqs,
        journal,
      };
      const worker = new Worker(url, { workerData: data, name: `drain-${w}` });
      readies.push(
        new Promise<ShardRecovery[]>((resolve, reject) => {
          worker.on('message', (m: DrainMessage) => {
            switch (m.type) {
              case 'ready':
                resolve(m.recovered);
                break;
              case 'startFailed':
                reject(Object.assign(new Error(`drain worker ${w} could not open its /v3 journals: ${m.message}`), m.code !== undefined ? { code: m.code } : {}));
                break;
              case 'journalFailed':
                events.onJournalFailed?.(m.shard, m.message);
                break;
              case 'confirm':
                events.onConfirmHistogram?.(m.histogram);
                break;
            }
          });
          worker.once('exit', (code) => reject(new Error(`drain worker ${w} exited with code ${code} before it was ready`)));
        }),
      );
      worker.on('error', (err) => {
        // A drain worker dying stops its rings from draining; the queue watermarks then kill
        // those shards, so admission stays safe. Surface it loudly.
        process.emitWarning(`drain worker ${w} failed: ${err instanceof Error ? err.stack : String(err)}`);
      });
      this.workers.push(worker);
    }
    this.ready = Promise.all(readies).then((r) => r.flat());
    this.ready.catch(() => {});
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sum of one SINK_* counter over the workers. */
  counter(index: number): number {
    let s = 0;
    for (let w = 0; w < this.workers.length; w++) s += this.counters[w * SINK_COUNTERS + index]!;
    return s;
  }

  /** Resolves when every worker has exited (call after closing the rings). */
  async stopped(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => (w.threadId < 0 ? resolve() : w.once('exit', () => resolve())))));
  }

  /** Stops the workers at once (start-up failure). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

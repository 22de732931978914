/**
 * Drain worker thread: the single consumer of the ingress rings assigned to it. It hands what it
 * reads to its sink — the shard journals (confirmation/journal-sink.ts), or, with /v3 journaling
 * off, a sink that frees the slots at once. When every ring is empty it sleeps up to
 * `idleWaitMs` instead of being woken by the producer, so the event-loop thread never pays for a
 * wake-up on the hot path. Between passes it yields to its own event loop, where the journal's
 * write and fdatasync completions arrive.
 *
 * It exits once every ring is closed, drained and (with a journal) durable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer, type RingBuffers } from './ingress-ring.js';

export interface DrainWorkerData {
  kind: 'drain';
  workerIndex: number;
  /** the shard number of each ring */
  shards: number[];
  rings: RingBuffers[];
  idleWaitMs: number;
  /** shared counters (see journal-sink.ts SINK_*) */
  counters: SharedArrayBuffer;
  /** per shard (all shards): the seq of the last durable record of its journal */
  journalSeqs: SharedArrayBuffer;
  /** /v3 journal settings, or null when /v3 orders are not journaled */
  journal: import('../confirmation/journal-sink.js').V3JournalSettings | null;
}

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

/** Messages a drain worker posts to the event-loop thread. */
export type DrainMessage =
  | { type: 'ready'; recovered: import('../confirmation/journal-sink.js').ShardRecovery[] }
  | { type: 'startFailed'; message: string; code?: string }
  | { type: 'journalFailed'; shard: number; message: string }
  | { type: 'confirm'; histogram: string };

async function main(data: DrainWorkerData): Promise<void> {
  const port = parentPort!;
  const post = (m: DrainMessage): void => port.postMessage(m);
  let sink: DrainSink = new CountingSink();
  if (data.journal !== null) {
    const { JournalSink, SINK_COUNTERS } = await import('../confirmation/journal-sink.js');
    const counters = new Float64Array(data.counters, data.workerIndex * SINK_COUNTERS * 8, SINK_COUNTERS);
    let opened: Awaited<ReturnType<typeof JournalSink.open>>;
    try {
      opened = await JournalSink.open(data.journal, data.shards, counters, new Float64Array(data.journalSeqs), (shard, err) =>
        post({ type: 'journalFailed', shard, message: err.message }),
      );
      sink = opened.sink;
    } catch (err) {
      // the code (e.g. JOURNAL_CORRUPT_RECORD) travels with the message: an Error does not cross threads whole
      const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
      post({ type: 'startFailed', message: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) });
      return;
    }
    post({ type: 'ready', recovered: opened.recovered });
    const js = opened.sink;
    const timer = setInterval(() => {
      if (js.confirm.count > 0) post({ type: 'confirm', histogram: js.confirm.drainEncoded() });
    }, 250);
    try {
      await runDrainLoop(data.rings, data.idleWaitMs, sink);
    } catch (err) {
      // Nothing this worker holds will become durable: say so through the rings and to the pool.
      const message = `drain worker failed: ${err instanceof Error ? err.message : String(err)}`;
      for (let i = 0; i < data.rings.length; i++) {
        new RingConsumer(data.rings[i]!).markFailed();
        post({ type: 'journalFailed', shard: data.shards[i]!, message });
      }
    } finally {
      clearInterval(timer);
      if (js.confirm.count > 0) post({ type: 'confirm', histogram: js.confirm.drainEncoded() });
    }
    return;
  }
  post({ type: 'ready', recovered: [] });
  await runDrainLoop(data.rings, data.idleWaitMs, sink);
}

if (parentPort !== null && workerData !== null && (workerData as { kind?: string }).kind === 'drain') {
  void main(workerData as DrainWorkerData);
}

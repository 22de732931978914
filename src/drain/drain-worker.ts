/**
 * Drain worker thread entry: the single consumer of the ingress rings assigned to it. It opens
 * (and recovers) the shard journals of its rings, then runs the drain loop (drain-loop.ts) into
 * the journal sink (journal-sink.ts), or, with /v3 journaling off, into a sink that frees the
 * slots at once. Started by drain-pool.ts; this module only runs as a worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from '../fastpath/ingress-ring.js';
import { CountingSink, runDrainLoop, type DrainSink } from './drain-loop.js';
import { JournalSink, SINK_COUNTERS } from './journal-sink.js';
import type { DrainMessage, DrainWorkerData } from './messages.js';

async function main(data: DrainWorkerData): Promise<void> {
  const port = parentPort!;
  const post = (m: DrainMessage): void => port.postMessage(m);
  let sink: DrainSink = new CountingSink();
  if (data.journal !== null) {
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

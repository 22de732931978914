/** Worker-thread body for worker.test.ts: writes records and reports the writer's view. */
import { parentPort, workerData } from 'node:worker_threads';
import { JournalWriter } from '../../../src/journal/writer.js';

const { dir, count } = workerData as { dir: string; count: number };
const w = await JournalWriter.open({ dir, keys: { k1: Buffer.from('first-secret') }, activeKeyId: 'k1', segmentBytes: 4096 });
const all: Promise<void>[] = [];
for (let i = 1; i <= count; i++) all.push(w.append(1, Buffer.from(`worker record ${i}`)).durable);
await Promise.all(all);
await w.close();
parentPort!.postMessage({ lastSeq: w.lastSeq, lastDurableSeq: w.lastDurableSeq, anchor: w.anchor() });

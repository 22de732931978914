/**
 * Worker-thread entry of the open-loop sender: runs {@link runSender} with the configuration in
 * `workerData` and posts the result (or `{error}`) to the parent once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSender, type SenderConfig } from './sender.js';

runSender(workerData as SenderConfig).then(
  (r) => parentPort!.postMessage({ result: r }),
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
);

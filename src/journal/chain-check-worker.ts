/**
 * Worker thread entry of {@link checkChainInWorker}: checks the chain of the job's range and posts
 * `{ result }` or `{ error }` once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkChain, type ChainCheckJob } from './chain-check.js';

const job = workerData as ChainCheckJob;
checkChain(job.dir, new Map(job.keys), job.fromSeq, job.maxBreaks).then(
  (result) => parentPort!.postMessage({ result }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);

/**
 * Checking the HMAC chain of a journal range at start-up, in a worker thread while the caller
 * replays the same range.
 *
 * Why a worker: the chain costs one HMAC-SHA256 per record (about 3 µs on the shared VM, as much
 * as decoding and rebuilding the order it holds), and nothing in it depends on the replay. Each
 * record is checked against the stored hash of the one before it, so the check needs no state
 * from the replay and can run on the other core; the caller awaits its verdict before it opens
 * the writer (nothing is acknowledged, and no byte is cut, before the verdict). Measured with
 * `ORDERS=200000 RUNS=3 npm run bench:recovery` (durable recovery, medians, the three ways in the
 * same rounds, shared 2-core VM at load 1.4): 227 k records/s with the check in a worker, 158 k
 * inline, 307 k without it. With the second core busy the worker gains little (124 k vs 107 k).
 * The /v3 shard journals hold one record per drain pass (thousands of orders), so they check
 * their chain inline (journal-sink.ts).
 *
 * A break does not end the check: the chain is checked again from the next record on (seeded with
 * the stored hash of the broken one), so every break in the range is reported, the caller decides
 * (refuse the start, or log each and go on).
 */
import { Worker } from 'node:worker_threads';
import type { JournalErrorCode } from './errors.js';
import type { JournalKeys } from './format.js';
import { walkJournal } from './reader.js';
import { workerEntry } from './worker-entry.js';

/** One place where the chain is broken. */
export interface ChainBreak {
  code: JournalErrorCode;
  kind: 'chain' | 'unknown_key';
  seq: number;
  segment: string;
  offset: number;
  /** the message without the code */
  detail: string;
}

export interface ChainCheckResult {
  /** the first `maxBreaks` breaks, in journal order */
  breaks: ChainBreak[];
  /** all breaks found */
  total: number;
  /** records checked */
  checked: number;
}

/**
 * Checks the chain of every record from `fromSeq` on (to `toSeq`, or to the end), in this thread.
 * Problems other than the chain's (a corrupt record, a gap, a torn tail) end the check quietly:
 * the replay reports those.
 */
export async function checkChain(dir: string, keys: JournalKeys, fromSeq: number, maxBreaks: number, toSeq?: number): Promise<ChainCheckResult> {
  const out: ChainCheckResult = { breaks: [], total: 0, checked: 0 };
  const count = (): undefined => {
    out.checked++;
    return undefined;
  };
  let from = fromSeq;
  let headerBreakAt = -1;
  for (;;) {
    const res = await walkJournal(dir, count, { fromSeq: from, toSeq, verifyChain: true, keys });
    const e = res.error;
    if (e === null || (e.kind !== 'chain' && e.kind !== 'unknown_key')) return out;
    // The first record of a segment whose header link broke is checked against that (broken)
    // link: its failure is the same break, not another one.
    if (!(e.offset > 0 && e.seq === headerBreakAt)) {
      out.total++;
      if (out.breaks.length < maxBreaks) out.breaks.push({ code: e.code, kind: e.kind, seq: e.seq, segment: e.segment, offset: e.offset, detail: e.detail });
    }
    // A segment header's link (offset 0): check that segment's records from its first one (the
    // walk does not check the header it starts in); a record: go on after it. Either way the
    // next walk starts further on.
    headerBreakAt = e.offset === 0 ? e.seq : -1;
    from = e.offset === 0 ? e.seq : e.seq + 1;
  }
}

/** Data handed to the worker (structured-clone friendly). */
export interface ChainCheckJob {
  kind: 'chain-check';
  dir: string;
  keys: Array<[string, Uint8Array]>;
  fromSeq: number;
  maxBreaks: number;
}

/**
 * {@link checkChain} in a worker thread. Resolves with its result; rejects if the worker fails
 * (an I/O error reading the journal, or the worker could not start).
 */
export function checkChainInWorker(dir: string, keys: ReadonlyMap<string, Uint8Array>, fromSeq: number, maxBreaks: number): Promise<ChainCheckResult> {
  const url = workerEntry('chain-check-worker');
  const job: ChainCheckJob = { kind: 'chain-check', dir, keys: [...keys], fromSeq, maxBreaks };
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: job, name: 'journal-chain-check' });
    let settled = false;
    worker.once('message', (m: { result?: ChainCheckResult; error?: string }) => {
      settled = true;
      if (m.result !== undefined) resolve(m.result);
      else reject(new Error(`journal chain check failed: ${m.error ?? 'unknown error'}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`journal chain check worker exited with code ${code}`));
    });
  });
}

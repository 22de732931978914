/**
 * The drain side of /v3 durability: a {@link DrainSink} that journals every order a drain worker
 * reads, one journal per shard (`<v3 journal dir>/shard-<n>`), and frees the ring slots only when
 * the journal record holding them is durable. The ring's tail is therefore the shard's durable
 * watermark (see ingress-ring.ts), which the event-loop thread reads without any message.
 *
 * One drain pass over a ring becomes one journal record (batch-record.ts): one HMAC and one CRC
 * per pass however many orders it holds; the journal's group commit then shares one fdatasync
 * between the records of several passes.
 *
 * If a shard's journal fails (write or fdatasync error), the sink stops reading that ring, marks
 * it failed in shared memory and never frees its held slots: those orders are reported
 * DURABLE_REJECTED and the shard fills up and is killed, so nothing is acknowledged as durable
 * that is not.
 */
import { join } from 'node:path';
import type { DrainSink } from './drain-loop.js';
import { emptyRecord, type RingConsumer, type RingRecord } from '../fastpath/ingress-ring.js';
import { checkChain } from '../journal/chain-check.js';
import { blockingJournalIo, JournalIntegrityError, JournalWriter, walkJournal, type BatchInfo, type JournalIo, type ReplayRecord } from '../journal/index.js';
import { LatencyHistogram } from '../lib/latency.js';
import { copyEntry, forEachEntry, V3_BATCH_RECORD_TYPE } from './batch-record.js';

/** Journal settings handed to a drain worker (structured-clone friendly). */
export interface V3JournalSettings {
  dir: string;
  keys: Array<[string, Uint8Array]>;
  activeKeyId: string;
  fsync: boolean;
  syncMethod: 'fdatasync' | 'dsync';
  maxBatchBytes: number;
  maxBatchDelayUs: number;
  segmentBytes: number;
  /**
   * Where the event-loop thread's `performance.now()` is zero, on the monotonic clock that all
   * threads share (see {@link perfZeroNs}): receivedAtNs is relative to it.
   */
  perfZeroNs: bigint;
  /** test failpoint: 'fdatasync-eio' fails every sync, 'fdatasync-hang' never completes one */
  failpoint: string;
  /**
   * JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: open a shard journal whose HMAC chain is broken (each
   * break reported in ShardRecovery.chainBreaks) instead of refusing to start. Default false.
   */
  allowBrokenChain?: boolean;
  /**
   * With venues: per shard, the highest gateway order number the execution stage has routed
   * (from its OrderSent records; -1 = none recorded). Recovery returns the shard's orders above
   * it (`unrouted`): acknowledged and durable, never sent to a venue.
   */
  routedUpTo?: number[];
  /** per shard, the order numbers routed and still working: recovery returns them (`routedWorking`) */
  routedWorking?: number[][];
}

/**
 * Where this thread's `performance.now()` is zero, in ns of the process-wide monotonic clock
 * (`process.hrtime`). Two threads' values differ by exactly their clocks' offset.
 */
export function perfZeroNs(): bigint {
  return process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));
}

/** Chain breaks described (at most) per shard journal. */
const MAX_CHAIN_BREAKS = 20;

/** Orders (at most) per journal record. */
const MAX_ENTRIES = 4096;
/** Payload bytes (at most) per journal record: MAX_ENTRIES full slots. */
const MAX_PAYLOAD = 4 + MAX_ENTRIES * 256;

export function shardJournalDir(v3Dir: string, shard: number): string {
  return join(v3Dir, `shard-${shard}`);
}

/**
 * The drain worker's journal I/O: blocking calls (the worker owns its thread; see
 * blockingJournalIo), with the test failpoints on top.
 */
function workerIo(failpoint: string): JournalIo {
  if (failpoint === 'fdatasync-eio') {
    return {
      writev: blockingJournalIo.writev,
      fdatasync(_fd, cb) {
        const err = new Error('EIO: i/o error, fdatasync (failpoint)') as NodeJS.ErrnoException;
        err.code = 'EIO';
        cb(err);
      },
    };
  }
  if (failpoint === 'fdatasync-hang') return { writev: blockingJournalIo.writev, fdatasync() {} };
  return blockingJournalIo;
}

/** What recovery found in one shard's journal. */
export interface ShardRecovery {
  shard: number;
  records: number;
  orders: number;
  /** per session, the journaled sessionSeq runs as flat [first, last, first, last, ...], ascending */
  sessions: Array<[string, number[]]>;
  tornTail: boolean;
  /** where the bytes of a cut torn tail were set aside (a side file in the shard's directory) */
  tornTailSavedTo?: string;
  /** HMAC chain breaks stepped over (only with allowBrokenChain), described for the log */
  chainBreaks?: string[];
  /** orders above the shard's routing watermark (V3JournalSettings.routedUpTo), in journal order */
  unrouted?: RingRecord[];
  /** the routed orders still working (V3JournalSettings.routedWorking), in journal order */
  routedWorking?: RingRecord[];
}

/** Counters shared with the event-loop thread (Float64Array over a SharedArrayBuffer). */
export const SINK_DURABLE_ORDERS = 0;
export const SINK_RECORDS = 1;
export const SINK_BATCHES = 2;
export const SINK_BYTES = 3;
export const SINK_FAILED_ORDERS = 4;
export const SINK_COUNTERS = 8;

export class JournalSink implements DrainSink {
  readonly confirm = new LatencyHistogram();
  private readonly scratch = Buffer.allocUnsafeSlow(MAX_PAYLOAD);
  private readonly dead: boolean[];
  private readonly clockOffsetMs: number;

  private constructor(
    private readonly writers: JournalWriter[],
    private readonly counters: Float64Array,
    /** per shard number: last durable journal seq (read by the event loop for /audit) */
    private readonly journalSeqs: Float64Array,
    perfZero: bigint,
    private readonly onFailure: (shard: number, err: Error) => void,
    private readonly shards: number[],
  ) {
    this.dead = writers.map(() => false);
    // receivedAtNs is the event-loop thread's performance.now(); convert ours to its clock. Both
    // zeros are taken on the monotonic clock: `performance.timeOrigin` comes from the wall clock,
    // and a wall-clock step between the two threads' starts would skew every latency.
    this.clockOffsetMs = Number(perfZeroNs() - perfZero) / 1e6;
  }

  /**
   * Opens the journal of every shard in `shards` (a torn tail is cut and set aside; a corrupt
   * complete record refuses the open), reads it back with the HMAC chain checked to find each
   * session's journaled sequence numbers, and returns the sink with what was found.
   */
  static async open(
    s: V3JournalSettings,
    shards: number[],
    counters: Float64Array,
    journalSeqs: Float64Array,
    onFailure: (shard: number, err: Error) => void,
  ): Promise<{ sink: JournalSink; recovered: ShardRecovery[] }> {
    const keys = new Map(s.keys);
    const writers: JournalWriter[] = [];
    const recovered: ShardRecovery[] = [];
    try {
      for (const shard of shards) {
        const dir = shardJournalDir(s.dir, shard);
        let tornTail = false;
        let tornTailSavedTo: string | undefined;
        const w = await JournalWriter.open({
          dir,
          keys,
          activeKeyId: s.activeKeyId,
          fsync: s.fsync,
          // the failpoints act on the fdatasync call
          syncMethod: s.failpoint !== '' ? 'fdatasync' : s.syncMethod,
          maxBatchBytes: s.maxBatchBytes,
          maxBatchDelayUs: s.maxBatchDelayUs,
          segmentBytes: s.segmentBytes,
          onTornTail: (info) => {
            tornTail = true;
            tornTailSavedTo = info.savedTo;
          },
          onBatch: (b: BatchInfo) => {
            counters[SINK_BATCHES]++;
            counters[SINK_BYTES] += b.bytes;
          },
          io: workerIo(s.failpoint),
        });
        writers.push(w);
        journalSeqs[shard] = w.lastDurableSeq;
        const routed = s.routedUpTo?.[shard];
        const sessions = await recoverSessions(dir, w.lastSeq, keys, s.allowBrokenChain === true, routed === undefined || routed < 0 ? undefined : routed, s.routedWorking?.[shard] ?? []);
        recovered.push({ shard, tornTail, ...(tornTailSavedTo !== undefined ? { tornTailSavedTo } : {}), ...sessions });
      }
    } catch (err) {
      for (const w of writers) await w.close().catch(() => {});
      throw err;
    }
    return { sink: new JournalSink(writers, counters, journalSeqs, s.perfZeroNs, onFailure, shards), recovered };
  }

  isDead(i: number): boolean {
    return this.dead[i]!;
  }

  take(ring: RingConsumer, i: number, n: number): number {
    if (this.dead[i]) return 0;
    const k = n < MAX_ENTRIES ? n : MAX_ENTRIES;
    const slots = ring.bytes;
    const out = this.scratch;
    const received = new Float64Array(k);
    let at = 4;
    for (let j = 0; j < k; j++) {
      received[j] = ring.receivedAtNsAt(j);
      at = copyEntry(slots, ring.slotOffset(j), out, at);
    }
    out.writeUInt32LE(k, 0);
    const w = this.writers[i]!;
    let durable: Promise<void>;
    try {
      durable = w.append(V3_BATCH_RECORD_TYPE, out.subarray(0, at)).durable;
    } catch (err) {
      this.kill(ring, i, err as Error);
      return 0;
    }
    ring.consume(k);
    this.counters[SINK_RECORDS]++;
    durable.then(
      () => {
        ring.release(k);
        this.journalSeqs[this.shards[i]!] = w.lastDurableSeq;
        this.counters[SINK_DURABLE_ORDERS] += k;
        const nowNs = (performance.now() + this.clockOffsetMs) * 1e6;
        for (let j = 0; j < k; j++) this.confirm.record(nowNs - received[j]!);
      },
      (err: Error) => this.kill(ring, i, err),
    );
    return k;
  }

  private kill(ring: RingConsumer, i: number, err: Error): void {
    if (this.dead[i]) return;
    this.dead[i] = true;
    this.counters[SINK_FAILED_ORDERS] += ring.held;
    ring.markFailed();
    this.onFailure(this.shards[i]!, err);
  }

  flush(): void {}

  /** Writes and syncs what is pending, then closes the journals (errors are reported, not thrown). */
  async close(): Promise<void> {
    await Promise.all(this.writers.map((w, i) => w.close().catch((err: Error) => this.onFailure(this.shards[i]!, err))));
  }
}

/**
 * The journaled sessionSeq runs of every session in one shard journal, up to `toSeq`, with the
 * HMAC chain of every record checked (chain-check.ts, in this thread: a shard journal has one
 * record per drain pass): a break refuses the start (JournalIntegrityError, code
 * JOURNAL_CHAIN_BROKEN or JOURNAL_UNKNOWN_KEY) unless `allowBrokenChain`, in which case each is
 * reported in `chainBreaks`.
 */
async function recoverSessions(
  dir: string,
  toSeq: number,
  keys: ReadonlyMap<string, Uint8Array>,
  allowBrokenChain: boolean,
  routedUpTo: number | undefined,
  working: number[],
): Promise<Omit<ShardRecovery, 'shard' | 'tornTail'>> {
  const runs = new Map<string, number[]>();
  const unrouted: RingRecord[] = [];
  const routedWorking: RingRecord[] = [];
  const above = routedUpTo ?? Number.POSITIVE_INFINITY;
  const workingSet = new Set(working);
  let fullAbove = above;
  for (const n of working) if (n - 1 < fullAbove) fullAbove = n - 1;
  const rec = emptyRecord();
  let records = 0;
  let orders = 0;
  const chainBreaks: string[] = [];
  const onRecord = (r: ReplayRecord): void => {
    records++;
    if (r.type !== V3_BATCH_RECORD_TYPE) return;
    orders += forEachEntry(r.payload, rec, onEntry, true, fullAbove);
  };
  if (toSeq > 0) {
    const res = await walkJournal(dir, onRecord, { toSeq });
    if (res.error !== null) throw res.error;
    const checked = await checkChain(dir, keys, 1, MAX_CHAIN_BREAKS, toSeq);
    for (const e of checked.breaks) {
      if (!allowBrokenChain) {
        throw new JournalIntegrityError(e.kind, e.seq, e.segment, e.offset, `${dir}: ${e.detail}: the /v3 journal's HMAC chain is broken; refusing to start (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1 starts anyway)`);
      }
      chainBreaks.push(`${dir}: ${e.code}: ${e.detail}`);
    }
    if (checked.total > checked.breaks.length) chainBreaks.push(`${dir}: ${checked.total - checked.breaks.length} more chain breaks`);
  }
  function onEntry(e: typeof rec): void {
    if (e.orderNo > above) unrouted.push({ ...e });
    else if (workingSet.size > 0 && workingSet.has(e.orderNo)) routedWorking.push({ ...e });
    let r = runs.get(e.sessionId);
    if (r === undefined) runs.set(e.sessionId, (r = []));
    const n = r.length;
    if (n > 0 && r[n - 1] === e.sessionSeq - 1) r[n - 1] = e.sessionSeq;
    else if (n === 0 || e.sessionSeq > r[n - 1]!) r.push(e.sessionSeq, e.sessionSeq);
  }
  return {
    records,
    orders,
    sessions: [...runs],
    ...(chainBreaks.length > 0 ? { chainBreaks } : {}),
    ...(routedUpTo !== undefined ? { unrouted } : {}),
    ...(working.length > 0 ? { routedWorking } : {}),
  };
}

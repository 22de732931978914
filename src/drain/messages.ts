/**
 * What crosses between the event-loop thread and a drain worker: the worker's start-up data and
 * the messages it posts back (drain-pool.ts reads them).
 */
import type { RingBuffers } from '../fastpath/ingress-ring.js';
import type { ShardRecovery, V3JournalSettings } from './journal-sink.js';

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
  journal: V3JournalSettings | null;
}

/** Messages a drain worker posts to the event-loop thread. */
export type DrainMessage =
  | { type: 'ready'; recovered: ShardRecovery[] }
  | { type: 'startFailed'; message: string; code?: string }
  | { type: 'journalFailed'; shard: number; message: string }
  | { type: 'confirm'; histogram: string };


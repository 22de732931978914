/**
 * What the console reads from the gateway: narrow views defined here, wired in app.ts. Every
 * function is called on the main thread, once per console interval and only while a console is
 * open; none may block.
 */
import type { LatencyHistogram } from '../lib/latency.js';
import type { BusStatus, JournalView, KillView, ShardView, VenueSession } from './sample.js';

export type { BusStatus, JournalView, KillEntry, KillView, ShardView, VenueSession } from './sample.js';

export interface ConsoleSources {
  /** orders accepted since start, every entry path */
  accepted(): number;
  /** orders refused since start (risk, kill, queue full, contract) */
  rejected(): number;
  /** ack-latency histograms by name (e.g. v3, durable, tcp) */
  ackHistograms: ReadonlyArray<{ name: string; h: LatencyHistogram }>;
  shards(): ShardView[];
  kill(): KillView;
  journal(): JournalView;
  bus: () => BusStatus | null;
  venues: () => VenueSession[];
}

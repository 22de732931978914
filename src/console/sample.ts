/**
 * What the console stream sends (one sample per interval, JSON): the wire shapes, shared by the
 * gateway (sources.ts, sampler.ts) and the browser front end (console/src/types.ts imports them
 * type-only). Types only, no imports: it compiles under both projects' settings.
 */

/**
 * The event bus publisher, as far as the console shows it (a structural subset of the bus
 * publisher's own status, so it can be passed as is). A null source result: bus off.
 */
export interface BusStatus {
  kind: string;
  connected: boolean;
  /** events published since start */
  published: number;
  /** journal records not yet acknowledged by the bus */
  lagRecords: number;
  /** age of the oldest such record, ms */
  lagMs: number;
  lastError: string | null;
}

/** One venue session. */
export interface VenueSession {
  venue: string;
  /** CONNECTING, UP, DOWN, ... as the execution stage reports it */
  state: string;
  /** orders working at the venue */
  openOrders: number;
}

/** One ingress shard. */
export interface ShardView {
  shard: number;
  depth: number;
  capacity: number;
  utilisationPct: number;
  killed: boolean;
  reason: string | null;
}

export interface KillEntry {
  id: string;
  reason: string;
  sinceMs: number;
  manual: boolean;
}

export interface KillView {
  engaged: boolean;
  global: { reason: string; sinceMs: number; manual: boolean } | null;
  accounts: KillEntry[];
  sessions: KillEntry[];
}

export interface JournalView {
  /** the durable /orders journal: OK or FAILED */
  durable: 'OK' | 'FAILED';
  /** last journaled sequence of the durable journal */
  lastSeq: number;
  /** /v3 shard journals on (false: /v3 orders stay VOLATILE_ACCEPT) */
  v3Journaled: boolean;
}

export interface LatencySample {
  name: string;
  /** acks in the interval */
  count: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
}

export interface Sample {
  t: number;
  /** orders accepted per second over the interval */
  acceptedPerSec: number;
  rejectedPerSec: number;
  acceptedTotal: number;
  latency: LatencySample[];
  shards: ShardView[];
  kill: KillView;
  journal: JournalView;
  bus: BusStatus | null;
  venues: VenueSession[];
}

// Shapes of what the gateway sends the console (src/console/sampler.ts and the REST routes).
export interface LatencySample {
  name: string;
  count: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
}
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
export interface BusStatus {
  kind: string;
  connected: boolean;
  published: number;
  lagRecords: number;
  lagMs: number;
  lastError: string | null;
}
export interface VenueSession {
  venue: string;
  state: string;
  openOrders: number;
}
export interface Sample {
  t: number;
  acceptedPerSec: number;
  rejectedPerSec: number;
  acceptedTotal: number;
  latency: LatencySample[];
  shards: ShardView[];
  kill: KillView;
  journal: { durable: 'OK' | 'FAILED'; lastSeq: number; v3Journaled: boolean };
  bus: BusStatus | null;
  venues: VenueSession[];
}
export interface Session {
  accountId: string;
  isAdmin: boolean;
  roles: string[];
  expMs: number;
  ticket: string;
  intervalMs: number;
}
export interface OrderEvent {
  type: string;
  at: number;
  accountId: string;
  orderId: string;
  data: Record<string, unknown>;
}

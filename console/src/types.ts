// Shapes of what the gateway sends the console: the stream's samples are defined once, on the
// gateway's side (src/console/sample.ts), and imported here as types only; the REST shapes below
// are the console's own view of the routes it calls.
export type { BusStatus, JournalView, KillEntry, KillView, LatencySample, Sample, ShardView, VenueSession } from '../../src/console/sample';

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

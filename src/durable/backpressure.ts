/**
 * Admission of new durable orders under load (queue policy, pure): the first limit the journal's
 * state exceeds, as the reason the order is refused with, or null. Checked in this order — the
 * hard limits first, then the soft WAL age — so a reject names the most severe cause. A limit of
 * 0 is off.
 */
import type { DurableConfig } from '../config/durable.js';
import type { Reason } from '../contract/reasons.js';

export type BackpressureReason = Extract<
  Reason,
  'BACKPRESSURE_INFLIGHT_SOFT' | 'BACKPRESSURE_WAL_BYTES' | 'BACKPRESSURE_WAL_AGE' | 'BACKPRESSURE_DISK_FREE' | 'BACKPRESSURE_SOFT_WAL_AGE'
>;

type Limits = Pick<DurableConfig, 'inflightMax' | 'walBytesMax' | 'walAgeMsMax' | 'diskFreePctMin' | 'softWalAgeMsMax'>;

/**
 * @param inflight  new orders appended and not yet durable
 * @param pendingBytes  bytes appended and not yet durable
 * @param oldestPendingAgeMs  age of the oldest record not yet durable
 * @param diskFreePct  free space of the journal's file system in percent, -1 until measured
 * (Scalars rather than an object: this runs for every new order.)
 */
export function backpressure(c: Limits, inflight: number, pendingBytes: number, oldestPendingAgeMs: number, diskFreePct: number): BackpressureReason | null {
  if (c.inflightMax > 0 && inflight >= c.inflightMax) return 'BACKPRESSURE_INFLIGHT_SOFT';
  if (c.walBytesMax > 0 && pendingBytes > c.walBytesMax) return 'BACKPRESSURE_WAL_BYTES';
  if (c.walAgeMsMax > 0 && oldestPendingAgeMs > c.walAgeMsMax) return 'BACKPRESSURE_WAL_AGE';
  if (c.diskFreePctMin > 0 && diskFreePct >= 0 && diskFreePct < c.diskFreePctMin) return 'BACKPRESSURE_DISK_FREE';
  if (c.softWalAgeMsMax > 0 && oldestPendingAgeMs > c.softWalAgeMsMax) return 'BACKPRESSURE_SOFT_WAL_AGE';
  return null;
}

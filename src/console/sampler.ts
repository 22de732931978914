/**
 * Builds the console stream's samples: rates from counter deltas, interval ack-latency
 * percentiles from the gateway's own histograms (LatencyHistogram.percentilesSince), and the
 * state of shards, kill switches, journal, bus and venues. Owned by the main thread; the clock is
 * injected. One sample per interval, and only while a console is connected, so the hot path pays
 * nothing for it.
 */
import { LatencyMark } from '../lib/latency.js';
import type { LatencySample, Sample } from './sample.js';
import type { ConsoleSources } from './sources.js';

export type { LatencySample, Sample } from './sample.js';

export const PERCENTILES = [50, 99, 99.9] as const;

export class Sampler {
  private lastT: number;
  private lastAccepted: number;
  private lastRejected: number;
  private readonly marks: LatencyMark[];

  constructor(
    private readonly src: ConsoleSources,
    private readonly nowMs: () => number,
  ) {
    this.lastT = nowMs();
    this.lastAccepted = src.accepted();
    this.lastRejected = src.rejected();
    this.marks = src.ackHistograms.map(() => new LatencyMark());
    this.src.ackHistograms.forEach((a, i) => a.h.percentilesSince(this.marks[i]!, PERCENTILES));
  }

  sample(): Sample {
    const t = this.nowMs();
    const dt = Math.max(1, t - this.lastT) / 1000;
    const accepted = this.src.accepted();
    const rejected = this.src.rejected();
    const s: Sample = {
      t,
      acceptedPerSec: Math.max(0, accepted - this.lastAccepted) / dt,
      rejectedPerSec: Math.max(0, rejected - this.lastRejected) / dt,
      acceptedTotal: accepted,
      latency: this.src.ackHistograms.map((a, i) => {
        const r = a.h.percentilesSince(this.marks[i]!, PERCENTILES);
        return { name: a.name, count: r.count, p50Us: r.ns[0]! / 1000, p99Us: r.ns[1]! / 1000, p999Us: r.ns[2]! / 1000 };
      }),
      shards: this.src.shards(),
      kill: this.src.kill(),
      journal: this.src.journal(),
      bus: this.src.bus(),
      venues: this.src.venues(),
    };
    this.lastT = t;
    this.lastAccepted = accepted;
    this.lastRejected = rejected;
    return s;
  }
}

/**
 * What a trader's console may see of a sample: kill switches of other accounts and sessions are
 * counted, not named.
 */
export function forTrader(s: Sample, accountId: string): Sample {
  return {
    ...s,
    kill: {
      ...s.kill,
      accounts: s.kill.accounts.filter((k) => k.id === accountId),
      sessions: [],
    },
  };
}

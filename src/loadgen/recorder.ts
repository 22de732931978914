/**
 * Measurement side of the load generator: HDR histograms of latency (all requests, accepted
 * only) and of send lag, counts by status and reason, and the timestamps needed for offered and
 * completed rates. Values are recorded in nanoseconds.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { latencyNs, sendLagNs } from './schedule.js';

/** Result of one request as the target reports it. */
export interface Outcome {
  /** true for an accepted order (HTTP 2xx, TCP Ack) */
  accepted: boolean;
  /** HTTP status code as text, "ACK"/"REJECTED" for TCP, "ERROR" for transport failures, "TIMEOUT" */
  status: string;
  /** reason code or status word from the answer, error code for failures; null when none */
  reason: string | null;
}

/** Histogram from 1 ns up, three significant digits, growing as needed. */
export function newHistogram(): Histogram {
  return build({
    useWebAssembly: false,
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

export class LatencyRecorder {
  /** Latency of every recorded request that completed (or timed out: its lower bound). */
  readonly all: Histogram = newHistogram();
  /** Latency of accepted requests only. */
  readonly accepted: Histogram = newHistogram();
  /** How late each recorded request was sent against its intended time. */
  readonly sendLag: Histogram = newHistogram();
  readonly byStatus = new Map<string, number>();
  readonly byReason = new Map<string, number>();

  sent = 0;
  completed = 0;
  acceptedCount = 0;
  timedOut = 0;
  warmupSent = 0;
  warmupCompleted = 0;
  /** times the outstanding cap held a send back */
  capWaits = 0;
  firstSendNs = Number.NaN;
  lastSendNs = Number.NaN;
  lastCompletionNs = Number.NaN;

  constructor(private readonly warmupCount: number) {}

  /** A request left at `actualNs`; it was intended for `intendedNs`. */
  recordSend(i: number, intendedNs: number, actualNs: number): void {
    if (i < this.warmupCount) {
      this.warmupSent++;
      return;
    }
    this.sent++;
    if (Number.isNaN(this.firstSendNs)) this.firstSendNs = actualNs;
    this.lastSendNs = actualNs;
    this.sendLag.recordValue(Math.max(1, Math.round(sendLagNs(intendedNs, actualNs))));
  }

  /** A request completed at `doneNs` with `outcome`. */
  recordCompletion(i: number, intendedNs: number, doneNs: number, outcome: Outcome): void {
    if (i < this.warmupCount) {
      this.warmupCompleted++;
      return;
    }
    this.completed++;
    this.lastCompletionNs = doneNs;
    const v = Math.max(1, Math.round(latencyNs(intendedNs, doneNs)));
    this.all.recordValue(v);
    if (outcome.accepted) {
      this.acceptedCount++;
      this.accepted.recordValue(v);
    }
    this.count(outcome);
  }

  /**
   * A request still unanswered at the end of the drain period. It is counted as TIMEOUT and its
   * latency recorded as the lower bound `deadlineNs − intendedNs`, so the tail is not flattered.
   */
  recordTimeout(i: number, intendedNs: number, deadlineNs: number): void {
    if (i < this.warmupCount) return;
    this.timedOut++;
    this.all.recordValue(Math.max(1, Math.round(latencyNs(intendedNs, deadlineNs))));
    this.count({ accepted: false, status: 'TIMEOUT', reason: null });
  }

  private count(o: Outcome): void {
    this.byStatus.set(o.status, (this.byStatus.get(o.status) ?? 0) + 1);
    if (o.reason !== null) this.byReason.set(o.reason, (this.byReason.get(o.reason) ?? 0) + 1);
  }
}

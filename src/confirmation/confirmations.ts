/**
 * Durable confirmation of /v3 orders, on the event-loop thread: the answer to
 * `GET /v3/orders/{sessionId}/{sessionSeq}`, the loss monitor and the loss-suspect escalation.
 *
 * Nothing here is told order by order that an order became durable. Each order's registry entry
 * holds its position in its shard's ingress ring, and the drain side frees ring slots only once
 * their journal record is durable, so:
 *
 *   position <  freed count of the ring      → DURABLE_ACCEPTED
 *   otherwise, the shard's journal failed    → DURABLE_REJECTED (WAL_DURABILITY_FAILED)
 *   otherwise, marked by the loss monitor    → LOSS_SUSPECT (DURABLE_CONFIRM_TIMEOUT)
 *   otherwise                                → VOLATILE_ACCEPT
 *
 * The loss monitor runs every V3_LOSS_SCAN_INTERVAL_MS: in each shard it looks at the orders the
 * journal still holds, oldest first (they are in the ring, in order), and marks those received
 * more than V3_LOSS_GAP_TIMEOUT_MS ago; each one counts towards the session → shard → global
 * escalation (loss-escalation.ts). A loss-suspect order that becomes durable later reads
 * DURABLE_ACCEPTED. After a restart, statuses of earlier orders come from the runs of sequence
 * numbers found in the journals, and numbering continues in a new epoch (epoch.ts), so that no
 * number acknowledged before a crash is ever reused.
 */
import type { ConfirmConfig } from '../config/config.js';
import type { ShardRecovery } from '../drain/journal-sink.js';
import type { FastPath } from '../fastpath/fast-path.js';
import { DecimalFormatter } from '../lib/decimal.js';
import type { LossPolicy } from './loss-policy.js';

export type ConfirmStatus = 'VOLATILE_ACCEPT' | 'DURABLE_ACCEPTED' | 'DURABLE_REJECTED' | 'LOSS_SUSPECT' | 'UNKNOWN';

/** Loss-suspect reasons kept per order (registry code → name). */
const LOSS_REASONS = ['', 'DURABLE_CONFIRM_TIMEOUT'] as const;
const LOSS_CONFIRM_TIMEOUT = 1;

export interface ConfirmView {
  sessionId: string;
  sessionSeq: number;
  status: ConfirmStatus;
  attemptId?: string;
  reason?: string;
  orderId?: string;
  receivedAtNs?: number;
  updatedAtNs: number;
  shardId: number;
  /** UNKNOWN only: why no order is known, in words */
  message?: string;
  /** UNKNOWN only: the first sequence number of this run's epoch */
  epochFirstSeq?: number;
}

/** Reason code of an UNKNOWN status (answered 404). */
export const UNKNOWN_ORDER = 'UNKNOWN_ORDER';

const nsText = new DecimalFormatter();

export class Confirmations {
  /** per shard: first ring position the loss monitor has not marked yet */
  private readonly scanFrom: number[];
  /** shard the next scan starts with (so that a scan budget spent on one shard does not starve the others) */
  private scanStart = 0;
  /** sessionSeq runs journaled before this start, per session (flat [first, last, ...]) */
  private readonly recovered: Map<string, number[]>;
  private timer: NodeJS.Timeout | null = null;

  /**
   * `recovered`: what the drain workers found in the journals at start (the runs of sequence
   * numbers per session, merged across shards); this run numbers past them (epoch.ts).
   */
  constructor(
    private readonly cfg: ConfirmConfig,
    private readonly fp: FastPath,
    private readonly losses: LossPolicy,
    recovered: readonly ShardRecovery[],
    /** false when nothing journals /v3 orders (journaling off, or drain disabled) */
    readonly active: boolean,
    private readonly clock: { nowMs(): number; monoMs(): number } = { nowMs: Date.now, monoMs: () => performance.now() },
  ) {
    this.scanFrom = new Array<number>(fp.cfg.shardCount).fill(0);
    const all = new Map<string, number[]>();
    for (const sh of recovered) {
      for (const [session, runs] of sh.sessions) {
        const have = all.get(session);
        all.set(session, have === undefined ? runs : mergeRuns(have, runs));
      }
    }
    this.recovered = all;
  }

  start(): void {
    if (!this.active || this.timer !== null) return;
    this.timer = setInterval(() => this.scan(), this.cfg.lossScanIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The confirmation status of the session's order `sessionSeq`. */
  status(sessionId: string, sessionSeq: number): ConfirmView {
    const fp = this.fp;
    const shardId = fp.session(sessionId).shard;
    const updatedAtNs = Math.round(this.clock.monoMs() * 1e6);
    const reg = fp.registry;
    const slot = reg.findBySessionSeq(sessionId, sessionSeq);
    if (slot < 0) {
      if (this.wasJournaled(sessionId, sessionSeq)) {
        return { sessionId, sessionSeq, status: 'DURABLE_ACCEPTED', attemptId: `att_${sessionSeq}`, updatedAtNs, shardId };
      }
      const first = fp.seqBase + 1;
      const last = fp.session(sessionId).seq;
      const message =
        sessionSeq < first
          ? `not in the journals, and before this run's epoch: since the last start this session numbers from ${first} (epoch × 2^32 + 1)`
          : sessionSeq > last
            ? `never issued in this epoch: the session's last sequence number is ${last > fp.seqBase ? last : 'none yet'} (numbers start at ${first})`
            : 'not tracked: refused at entry, or older than the last V3_CANCEL_WINDOW accepted orders';
      return { sessionId, sessionSeq, status: 'UNKNOWN', reason: UNKNOWN_ORDER, message, epochFirstSeq: first, updatedAtNs, shardId };
    }
    const view: ConfirmView = {
      sessionId,
      sessionSeq,
      status: 'VOLATILE_ACCEPT',
      attemptId: `att_${sessionSeq}`,
      orderId: fp.orderId(reg.orderNoAt(slot)),
      updatedAtNs,
      shardId,
    };
    if (!this.active) return view;
    const p = fp.producers[reg.shardAt(slot)]!;
    const pos = reg.ringPosAt(slot);
    if (pos < p.freedCount()) view.status = 'DURABLE_ACCEPTED';
    else {
      view.receivedAtNs = p.receivedAtNsAt(pos);
      if (p.failed) {
        view.status = 'DURABLE_REJECTED';
        view.reason = 'WAL_DURABILITY_FAILED';
      } else if (reg.lossAt(slot) !== 0) {
        view.status = 'LOSS_SUSPECT';
        view.reason = LOSS_REASONS[reg.lossAt(slot)];
      }
    }
    return view;
  }

  private wasJournaled(sessionId: string, seq: number): boolean {
    const runs = this.recovered.get(sessionId);
    if (runs === undefined) return false;
    let lo = 0;
    let hi = (runs.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (seq < runs[2 * mid]!) hi = mid - 1;
      else if (seq > runs[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** The body of a status answer. */
  static json(v: ConfirmView): string {
    let s = '{"sessionId":' + JSON.stringify(v.sessionId) + ',"sessionSeq":' + v.sessionSeq + ',"status":"' + v.status + '"';
    if (v.attemptId !== undefined) s += ',"attemptId":"' + v.attemptId + '"';
    if (v.orderId !== undefined) s += ',"orderId":"' + v.orderId + '"';
    if (v.reason !== undefined) s += ',"reason":"' + v.reason + '"';
    if (v.receivedAtNs !== undefined) s += ',"receivedAtNs":' + nsText.format(v.receivedAtNs);
    if (v.message !== undefined) s += ',"message":' + JSON.stringify(v.message) + ',"epochFirstSeq":' + v.epochFirstSeq;
    return s + ',"updatedAtNs":' + nsText.format(v.updatedAtNs) + ',"shardId":' + v.shardId + '}';
  }

  /** One pass of the loss monitor (also called by tests). */
  scan(): void {
    const fp = this.fp;
    const nowMs = this.clock.nowMs();
    const cutoffNs = (this.clock.monoMs() - this.cfg.lossGapTimeoutMs) * 1e6;
    let budget = this.cfg.lossScanBatch;
    const shards = fp.producers.length;
    const first = this.scanStart;
    this.scanStart = (first + 1) % shards;
    for (let k = 0; k < shards && budget > 0; k++) {
      const shard = (first + k) % shards;
      const p = fp.producers[shard]!;
      if (p.failed) {
        this.losses.journalFailure(shard, 'journal failed (reported through the ring)');
        continue;
      }
      let pos = Math.max(this.scanFrom[shard]!, p.freedCount());
      const end = p.pushed;
      while (pos < end && budget > 0 && p.receivedAtNsAt(pos) <= cutoffNs) {
        // An order no longer in the registry (V3_CANCEL_WINDOW below the ring's capacity) has
        // no status to mark, but it still counts towards the escalation.
        const slot = fp.registry.slotOfOrderNo(p.orderNoAt(pos));
        if (slot < 0 || fp.registry.markLoss(slot, LOSS_CONFIRM_TIMEOUT)) {
          budget--;
          this.losses.register(p.sessionIdAt(pos), shard, nowMs);
        }
        pos++;
      }
      this.scanFrom[shard] = pos;
    }
    if (fp.kill.global === null) {
      for (let shard = 0; shard < fp.producers.length; shard++) {
        if (fp.kill.shards[shard]!.killed) fp.kill.tryRecover(shard, fp.utilisation(shard), nowMs);
      }
    }
  }

}

/** Two sorted run lists ([first, last, ...]) as one sorted, coalesced list. */
function mergeRuns(a: number[], b: number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (const r of [a, b]) for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [f, l] of pairs) {
    const n = out.length;
    if (n > 0 && f <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, l);
    else out.push(f, l);
  }
  return out;
}

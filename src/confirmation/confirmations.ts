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
import type { Logger } from 'pino';
import type { ConfirmConfig } from '../config/config.js';
import type { Reason } from '../contract/reasons.js';
import type { FastPath, SessionState } from '../fastpath/fast-path.js';
import { DecimalFormatter } from '../fastpath/decimal.js';
import { LatencyHistogram } from '../metrics/latency.js';
import type { ShardRecovery } from './journal-sink.js';
import { EPOCH_SPAN } from './epoch.js';
import { LossEscalation } from './loss-escalation.js';

export type ConfirmStatus = 'VOLATILE_ACCEPT' | 'DURABLE_ACCEPTED' | 'DURABLE_REJECTED' | 'LOSS_SUSPECT' | 'UNKNOWN';

/** Loss-suspect reasons kept per order (registry code → name). */
const LOSS_REASONS = ['', 'DURABLE_CONFIRM_TIMEOUT'] as const;
const LOSS_CONFIRM_TIMEOUT = 1;

export class ConfirmCounters {
  lossSuspect = 0;
  sessionKilled = 0;
  shardKilled = 0;
  globalKilled = 0;
  journalFailures = 0;
}

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
}

const nsText = new DecimalFormatter();

export class Confirmations {
  readonly counters = new ConfirmCounters();
  /** receivedAt → durable, per order (shipped by the drain workers) */
  readonly confirmLatency = new LatencyHistogram();
  private readonly escalation: LossEscalation;
  private readonly journalFailed: boolean[];
  /** per shard: first ring position the loss monitor has not marked yet */
  private readonly scanFrom: number[];
  /** shard the next scan starts with (so that a scan budget spent on one shard does not starve the others) */
  private scanStart = 0;
  /** sessionSeq runs journaled before this start, per session (flat [first, last, ...]) */
  private recovered = new Map<string, number[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly cfg: ConfirmConfig,
    private readonly fp: FastPath,
    private readonly log: Logger,
    /** false when nothing journals /v3 orders (journaling off, or drain disabled) */
    readonly active: boolean,
    private readonly clock: { nowMs(): number; monoMs(): number } = { nowMs: Date.now, monoMs: () => performance.now() },
  ) {
    const shards = fp.cfg.shardCount;
    this.escalation = new LossEscalation(
      {
        windowMs: cfg.lossWindowSec * 1000,
        sessionThreshold: cfg.sessionThreshold,
        shardThreshold: cfg.shardThreshold,
        globalThreshold: cfg.globalThreshold,
      },
      shards,
    );
    this.journalFailed = new Array<boolean>(shards).fill(false);
    this.scanFrom = new Array<number>(shards).fill(0);
    if (active) fp.onEnqueueFailure = (s, reason, nowMs) => this.enqueueFailed(s, reason, nowMs);
  }

  /**
   * Takes in what the drain workers found in the journals (the runs of sequence numbers per
   * session, merged across shards) and the numbering epoch of this run: sessions number from
   * epoch × 2^32 + 1, past every number an earlier run could have acknowledged.
   */
  applyRecovery(shards: ShardRecovery[], epoch: number): void {
    const all = new Map<string, number[]>();
    for (const sh of shards) {
      if (sh.tornTailSavedTo !== undefined) {
        this.log.warn({ shard: sh.shard, savedTo: sh.tornTailSavedTo }, `/v3 journal tail truncated: the last write never completed (it was never acknowledged); the cut bytes are kept in ${sh.tornTailSavedTo}`);
      }
      for (const b of sh.chainBreaks ?? []) {
        this.log.error({ shard: sh.shard, detail: b }, '/v3 journal HMAC chain broken: starting anyway (JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1)');
      }
      for (const [session, runs] of sh.sessions) {
        const have = all.get(session);
        all.set(session, have === undefined ? runs : mergeRuns(have, runs));
      }
    }
    this.recovered = all;
    this.fp.seqBase = epoch * EPOCH_SPAN;
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
      const status: ConfirmStatus = this.wasJournaled(sessionId, sessionSeq) ? 'DURABLE_ACCEPTED' : 'UNKNOWN';
      return status === 'UNKNOWN'
        ? { sessionId, sessionSeq, status, updatedAtNs, shardId }
        : { sessionId, sessionSeq, status, attemptId: `att_${sessionSeq}`, updatedAtNs, shardId };
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
    return s + ',"updatedAtNs":' + nsText.format(v.updatedAtNs) + ',"shardId":' + v.shardId + '}';
  }

  /** A shard's journal failed: its held orders will never be durable. The shard stays killed. */
  journalFailure(shard: number, message: string): void {
    if (this.journalFailed[shard]) return;
    this.journalFailed[shard] = true;
    this.counters.journalFailures++;
    this.log.error({ shard, err: message }, '/v3 journal failed: orders of this shard are not durable; shard killed until restart');
    this.fp.kill.killShard(shard, 'WAL_DURABILITY_FAILED', this.clock.nowMs(), true);
  }

  /** Records one order's receivedAt → durable latencies shipped by a drain worker. */
  addConfirmLatencies(encoded: string): void {
    this.confirmLatency.addEncoded(encoded);
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
        this.journalFailure(shard, 'journal failed (reported through the ring)');
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
          this.register(p.sessionIdAt(pos), shard, nowMs);
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

  private enqueueFailed(s: SessionState, reason: Reason, nowMs: number): void {
    this.log.warn({ sessionId: s.sessionId, shard: s.shard, reason }, '/v3 order refused by a full or closed queue: loss-suspect');
    if (reason === 'V3_INGRESS_CLOSED') return; // shutting down: nothing to escalate
    this.register(s.sessionId, s.shard, nowMs);
  }

  private register(sessionId: string, shard: number, nowMs: number): void {
    const c = this.counters;
    c.lossSuspect++;
    const e = this.escalation.register(sessionId, shard, nowMs);
    const kill = this.fp.kill;
    if (e.session && kill.killSession(sessionId, 'V3_LOSS_SUSPECT', nowMs, false)) {
      c.sessionKilled++;
      this.log.error({ sessionId, shard }, 'loss-suspect /v3 order: session killed');
    }
    if (e.shard && !kill.shards[shard]!.killed) {
      kill.killShard(shard, 'V3_LOSS_SUSPECT', nowMs, false);
      c.shardKilled++;
      this.log.error({ shard }, 'loss-suspect /v3 orders: shard killed');
    }
    if (e.global && kill.global === null) {
      kill.killGlobal('V3_LOSS_SUSPECT', nowMs, false);
      for (let i = 0; i < kill.shards.length; i++) kill.killShard(i, 'V3_LOSS_SUSPECT', nowMs, false);
      c.globalKilled++;
      this.log.error('loss-suspect /v3 orders: global kill');
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

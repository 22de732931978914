/**
 * What the gateway does when /v3 durability fails, on the event-loop thread: a loss-suspect
 * order (not durable in time, found by the loss monitor in confirmations.ts, or refused by a full
 * or closed queue) counts towards the session → shard → global escalation (loss-escalation.ts,
 * pure) and raises those kills; a shard whose journal failed is killed until restart.
 *
 * Built before the fast path, which reports enqueue failures to it.
 */
import type { Logger } from 'pino';
import type { ConfirmConfig } from '../config/config.js';
import type { Reason } from '../contract/reasons.js';
import type { EnqueueFailureListener } from '../fastpath/fast-path.js';
import type { KillSwitch } from '../fastpath/kill-switch.js';
import { LossEscalation } from './loss-escalation.js';

export class LossCounters {
  lossSuspect = 0;
  sessionKilled = 0;
  shardKilled = 0;
  globalKilled = 0;
  journalFailures = 0;
}

export class LossPolicy implements EnqueueFailureListener {
  readonly counters = new LossCounters();
  private readonly escalation: LossEscalation;
  private readonly journalFailed: boolean[];

  constructor(
    cfg: ConfirmConfig,
    private readonly kill: KillSwitch,
    private readonly log: Logger,
    private readonly clock: { nowMs(): number } = { nowMs: Date.now },
  ) {
    const shards = kill.shards.length;
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
  }

  /** A shard's journal failed: its held orders will never be durable. The shard stays killed. */
  journalFailure(shard: number, message: string): void {
    if (this.journalFailed[shard]) return;
    this.journalFailed[shard] = true;
    this.counters.journalFailures++;
    this.log.error({ shard, err: message }, '/v3 journal failed: orders of this shard are not durable; shard killed until restart');
    this.kill.killShard(shard, 'WAL_DURABILITY_FAILED', this.clock.nowMs(), true);
  }

  enqueueFailed(sessionId: string, shard: number, reason: Reason, nowMs: number): void {
    this.log.warn({ sessionId, shard, reason }, '/v3 order refused by a full or closed queue: loss-suspect');
    if (reason === 'V3_INGRESS_CLOSED') return; // shutting down: nothing to escalate
    this.register(sessionId, shard, nowMs);
  }

  register(sessionId: string, shard: number, nowMs: number): void {
    const c = this.counters;
    c.lossSuspect++;
    const e = this.escalation.register(sessionId, shard, nowMs);
    const kill = this.kill;
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

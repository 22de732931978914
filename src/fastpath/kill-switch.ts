/**
 * Kill switch and ingress admission policy for the volatile fast path. Pure: no I/O, the clock
 * and the queue utilisation are passed in.
 *
 * Scopes, checked in this order for each new order:
 *  - global   manual (operator) or escalated; blocks every new order
 *  - account  manual (operator); blocks one account
 *  - session  raised by loss-suspect escalation; blocks one session
 *  - shard    raised automatically when the shard's ingress queue reaches the kill watermark or an
 *             enqueue finds it full/closed; recovers by itself with hysteresis (see tryRecover)
 *
 * Manual kills stay until an operator resumes them. Cancels are never blocked (callers do not
 * consult the switch for them).
 */
import type { Reason } from '../contract/reasons.js';

export interface AdmissionPolicy {
  softRejectPct: number;
  /** optional third watermark between soft and kill (503 V3_BACKPRESSURE_HARD); 0 = none */
  hardRejectPct: number;
  killRejectPct: number;
  killAutoRecover: boolean;
  killRecoverPct: number;
  killRecoverAfterMs: number;
}

export interface KillEntry {
  reason: string;
  sinceMs: number;
  /** true when an operator raised it */
  manual: boolean;
}

export class ShardKill {
  killed = false;
  sinceMs = 0;
  reason = '';
  manual = false;
}

export type Admission = null | 'V3_BACKPRESSURE_SOFT' | 'V3_BACKPRESSURE_HARD' | 'V3_QUEUE_KILLED';

/** Integer utilisation percentage of a queue, as the watermarks compare it. */
export function utilisationPct(depth: number, capacity: number): number {
  return Math.floor((depth * 100) / capacity);
}

export class KillSwitch {
  global: KillEntry | null = null;
  readonly accounts = new Map<string, KillEntry>();
  readonly sessions = new Map<string, KillEntry>();
  readonly shards: ShardKill[];
  /** times a shard kill was lifted by auto-recovery */
  recoveredTotal = 0;
  shardKilledTotal = 0;

  constructor(
    readonly policy: AdmissionPolicy,
    shardCount: number,
  ) {
    this.shards = Array.from({ length: shardCount }, () => new ShardKill());
  }

  /** The reason a new order from (account, session, shard) is refused by a kill, or null. */
  blocked(accountId: string, sessionId: string, shard: number): Reason | null {
    const a = this.blockedAccount(accountId);
    if (a !== null) return a;
    if (this.sessions.size !== 0 && this.sessions.has(sessionId)) return 'V3_SESSION_KILLED';
    if (this.shards[shard]!.killed) return 'V3_SHARD_KILLED';
    return null;
  }

  /** The reason a new order of the account is refused by the global or the account's kill, or null. */
  blockedAccount(accountId: string): Reason | null {
    if (this.global !== null) return 'V3_GLOBAL_KILLED';
    if (this.accounts.size !== 0 && this.accounts.has(accountId)) return 'V3_ACCOUNT_KILLED';
    return null;
  }

  /**
   * Watermarks on the shard's utilisation before enqueueing: at or above the kill watermark the
   * shard is killed; at or above the hard watermark (when set) the order is refused with 503;
   * at or above the soft watermark it is refused softly (429).
   */
  admit(shard: number, pct: number, nowMs: number): Admission {
    if (pct >= this.policy.killRejectPct) {
      this.killShard(shard, 'V3_QUEUE_KILLED', nowMs, false);
      return 'V3_QUEUE_KILLED';
    }
    const hard = this.policy.hardRejectPct;
    if (hard > 0 && pct >= hard) return 'V3_BACKPRESSURE_HARD';
    if (pct >= this.policy.softRejectPct) return 'V3_BACKPRESSURE_SOFT';
    return null;
  }

  killShard(shard: number, reason: string, nowMs: number, manual: boolean): void {
    const s = this.shards[shard]!;
    if (!s.killed) {
      s.killed = true;
      s.sinceMs = nowMs;
      s.reason = reason;
      this.shardKilledTotal++;
    }
    if (manual) s.manual = true;
  }

  /**
   * Hysteresis: an automatic shard kill is lifted when the shard's utilisation has fallen to
   * `killRecoverPct` or below and the kill has lasted at least `killRecoverAfterMs`.
   * Manual shard kills and other scopes never recover by themselves. Returns true if lifted.
   */
  tryRecover(shard: number, pct: number, nowMs: number): boolean {
    const s = this.shards[shard]!;
    if (!s.killed || s.manual || !this.policy.killAutoRecover) return false;
    if (pct > this.policy.killRecoverPct || nowMs - s.sinceMs < this.policy.killRecoverAfterMs) return false;
    s.killed = false;
    s.reason = '';
    this.recoveredTotal++;
    return true;
  }

  killedShardCount(): number {
    let n = 0;
    for (const s of this.shards) if (s.killed) n++;
    return n;
  }

  /** True when any kill blocks some new orders. */
  get engaged(): boolean {
    return this.global !== null || this.accounts.size > 0 || this.sessions.size > 0 || this.killedShardCount() > 0;
  }

  // ---- operator actions -------------------------------------------------------------------

  killGlobal(reason: string, nowMs: number, manual = true): void {
    if (this.global === null) this.global = { reason, sinceMs: nowMs, manual };
  }

  killAccount(accountId: string, reason: string, nowMs: number): void {
    if (!this.accounts.has(accountId)) this.accounts.set(accountId, { reason, sinceMs: nowMs, manual: true });
  }

  killSession(sessionId: string, reason: string, nowMs: number, manual: boolean): boolean {
    if (this.sessions.has(sessionId)) return false;
    this.sessions.set(sessionId, { reason, sinceMs: nowMs, manual });
    return true;
  }

  resumeGlobal(): boolean {
    const was = this.global !== null;
    this.global = null;
    return was;
  }

  resumeAccount(accountId: string): boolean {
    return this.accounts.delete(accountId);
  }

  resumeSession(sessionId: string): boolean {
    return this.sessions.delete(sessionId);
  }

  /** Lifts a shard kill whatever raised it. */
  resumeShard(shard: number): boolean {
    const s = this.shards[shard]!;
    const was = s.killed;
    s.killed = false;
    s.manual = false;
    s.reason = '';
    return was;
  }
}

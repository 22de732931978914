/**
 * Loss-suspect escalation (pure domain logic, no I/O, no clock of its own).
 *
 * Every loss-suspect /v3 order — acknowledged, but not confirmed durable in time, or refused
 * because its shard's queue was full or closed — counts in three sliding windows: its session's,
 * its shard's and the gateway's. When a window's count reaches its threshold, that scope is
 * killed: session → shard → global. With the defaults (1 / 3 / 6 in 60 s) a single loss-suspect
 * order stops its session.
 */
export interface EscalationPolicy {
  windowMs: number;
  sessionThreshold: number;
  shardThreshold: number;
  globalThreshold: number;
}

/** Which scopes reached their threshold with this registration. */
export interface Escalation {
  session: boolean;
  shard: boolean;
  global: boolean;
}

/** Timestamps (ms) within a window, oldest first. */
class Window {
  private readonly at: number[] = [];
  add(nowMs: number, windowMs: number): number {
    const at = this.at;
    let drop = 0;
    while (drop < at.length && nowMs - at[drop]! >= windowMs) drop++;
    if (drop > 0) at.splice(0, drop);
    at.push(nowMs);
    return at.length;
  }
}

export class LossEscalation {
  private readonly sessions = new Map<string, Window>();
  private readonly shards: Window[];
  private readonly global = new Window();

  constructor(
    private readonly policy: EscalationPolicy,
    shardCount: number,
  ) {
    this.shards = Array.from({ length: shardCount }, () => new Window());
  }

  register(sessionId: string, shard: number, nowMs: number): Escalation {
    const p = this.policy;
    let w = this.sessions.get(sessionId);
    if (w === undefined) this.sessions.set(sessionId, (w = new Window()));
    return {
      session: w.add(nowMs, p.windowMs) >= p.sessionThreshold,
      shard: this.shards[shard]!.add(nowMs, p.windowMs) >= p.shardThreshold,
      global: this.global.add(nowMs, p.windowMs) >= p.globalThreshold,
    };
  }
}

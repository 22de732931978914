import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KillSwitch, utilisationPct } from '../../../src/fastpath/kill-switch.js';

const policy = { softRejectPct: 85, hardRejectPct: 0, killRejectPct: 95, killAutoRecover: true, killRecoverPct: 60, killRecoverAfterMs: 3000 };

describe('kill switch and watermarks', () => {
  it('computes integer utilisation', () => {
    assert.equal(utilisationPct(17, 20), 85);
    assert.equal(utilisationPct(16, 20), 80);
    assert.equal(utilisationPct(0, 20), 0);
  });

  it('admits below the soft watermark, refuses softly at 85%, kills at 95%', () => {
    const k = new KillSwitch(policy, 2);
    assert.equal(k.admit(0, 84, 0), null);
    assert.equal(k.admit(0, 85, 0), 'V3_BACKPRESSURE_SOFT');
    assert.equal(k.blocked('a', 's', 0), null, 'a soft refusal raises no kill');
    assert.equal(k.admit(0, 95, 10), 'V3_QUEUE_KILLED');
    assert.equal(k.blocked('a', 's', 0), 'V3_SHARD_KILLED');
    assert.equal(k.blocked('a', 's', 1), null, 'other shards unaffected');
    assert.equal(k.shardKilledTotal, 1);
    assert.equal(k.engaged, true);
  });

  it("with the original's third watermark (V3_HARD_REJECT_PCT): 429 soft, then 503 hard, then kill", () => {
    const k = new KillSwitch({ ...policy, softRejectPct: 70, hardRejectPct: 85 }, 1);
    assert.equal(k.admit(0, 69, 0), null);
    assert.equal(k.admit(0, 70, 0), 'V3_BACKPRESSURE_SOFT');
    assert.equal(k.admit(0, 84, 0), 'V3_BACKPRESSURE_SOFT');
    assert.equal(k.admit(0, 85, 0), 'V3_BACKPRESSURE_HARD');
    assert.equal(k.admit(0, 94, 0), 'V3_BACKPRESSURE_HARD');
    assert.equal(k.blocked('a', 's', 0), null, 'a hard refusal raises no kill');
    assert.equal(k.admit(0, 95, 0), 'V3_QUEUE_KILLED');
  });

  it('recovers with hysteresis: utilisation at or below 60% AND kill older than 3 s', () => {
    const k = new KillSwitch(policy, 1);
    k.admit(0, 96, 1000);
    assert.equal(k.tryRecover(0, 61, 10_000), false, 'utilisation still above recover pct');
    assert.equal(k.tryRecover(0, 10, 3999), false, 'kill too recent');
    assert.equal(k.blocked('a', 's', 0), 'V3_SHARD_KILLED');
    assert.equal(k.tryRecover(0, 60, 4000), true);
    assert.equal(k.blocked('a', 's', 0), null);
    assert.equal(k.recoveredTotal, 1);
    assert.equal(k.tryRecover(0, 0, 9000), false, 'nothing to recover');
  });

  it('does not auto-recover when disabled, nor manual kills', () => {
    const off = new KillSwitch({ ...policy, killAutoRecover: false }, 1);
    off.admit(0, 99, 0);
    assert.equal(off.tryRecover(0, 0, 1e9), false);
    const manual = new KillSwitch(policy, 1);
    manual.killShard(0, 'ops', 0, true);
    assert.equal(manual.tryRecover(0, 0, 1e9), false);
    assert.equal(manual.resumeShard(0), true);
    assert.equal(manual.blocked('a', 's', 0), null);
  });

  it('global, account and session kills block in that order until resumed', () => {
    const k = new KillSwitch(policy, 1);
    k.killSession('s', 'loss', 0, false);
    assert.equal(k.blocked('a', 's', 0), 'V3_SESSION_KILLED');
    assert.equal(k.blocked('a', 'other', 0), null);
    k.killAccount('a', 'ops', 0);
    assert.equal(k.blocked('a', 's', 0), 'V3_ACCOUNT_KILLED');
    assert.equal(k.blocked('b', 'x', 0), null);
    k.killGlobal('ops', 0);
    assert.equal(k.blocked('b', 'x', 0), 'V3_GLOBAL_KILLED');
    assert.equal(k.resumeGlobal(), true);
    assert.equal(k.resumeAccount('a'), true);
    assert.equal(k.resumeSession('s'), true);
    assert.equal(k.blocked('a', 's', 0), null);
    assert.equal(k.engaged, false);
  });
});

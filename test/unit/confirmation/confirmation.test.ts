/**
 * Durable confirmation of /v3 orders without threads or sockets: the batch record codec, the
 * loss-suspect escalation windows, and the confirmation service driven by a ring consumer in
 * the test (standing in for the drain side) and an injected clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/config.js';
import { copyEntry, entryBytes, forEachEntry, BatchFormatError } from '../../../src/drain/batch-record.js';
import { Confirmations } from '../../../src/confirmation/confirmations.js';
import { EPOCH_SPAN } from '../../../src/confirmation/epoch.js';
import { LossPolicy } from '../../../src/confirmation/loss-policy.js';
import type { ShardRecovery } from '../../../src/drain/journal-sink.js';
import { KillSwitch } from '../../../src/fastpath/kill-switch.js';
import { LossEscalation } from '../../../src/confirmation/loss-escalation.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { FastPath } from '../../../src/fastpath/fast-path.js';
import { allocateRing, emptyRecord, RingConsumer, RingProducer, type RingRecord } from '../../../src/fastpath/ingress-ring.js';
import { StageTimers } from '../../../src/metrics/gateway-metrics.js';
import { RiskEngine } from '../../../src/risk/engine.js';

const order: NewOrder = { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null };

describe('/v3 batch record', () => {
  it('round-trips ring slots, with and without clientOrderId', () => {
    const ring = allocateRing(8);
    const p = new RingProducer(ring);
    p.push(1001, 1, 5_000, 'acct-1', 'sess-1', { ...order, clientOrderId: 'c-1' });
    p.push(1002, 2, 6_000, 'acct-1', 'sess-1', { ...order, side: Side.Sell, type: OrdType.Market, price: 0 });
    p.push(1003, 1, 7_000, 'acct-2', 'sess-2', { ...order, timeInForce: TimeInForce.GTD, expireAt: 1_900_000_000_000 });
    const c = new RingConsumer(ring);
    const out = Buffer.alloc(4096);
    let at = 4;
    for (let i = 0; i < 3; i++) {
      const before = at;
      at = copyEntry(c.bytes, c.slotOffset(i), out, at);
      assert.equal(at - before, entryBytes(c.bytes, c.slotOffset(i)));
    }
    out.writeUInt32LE(3, 0);
    const got: RingRecord[] = [];
    const n = forEachEntry(out.subarray(0, at), emptyRecord(), (r) => got.push({ ...r }));
    assert.equal(n, 3);
    const want = [0, 1, 2].map((i) => ({ ...c.peekAt(i, emptyRecord()) }));
    assert.deepEqual(got, want);
    assert.equal(got[0]!.clientOrderId, 'c-1');
    assert.equal(got[1]!.clientOrderId, null);
    assert.equal(got[2]!.expireAt, 1_900_000_000_000);
  });

  it('refuses truncated payloads and trailing bytes', () => {
    const ring = allocateRing(2);
    new RingProducer(ring).push(1, 1, 1, 'a', 's', order);
    const c = new RingConsumer(ring);
    const out = Buffer.alloc(1024);
    const end = copyEntry(c.bytes, c.slotOffset(0), out, 4);
    out.writeUInt32LE(1, 0);
    const noop = () => {};
    assert.throws(() => forEachEntry(out.subarray(0, end - 1), emptyRecord(), noop), BatchFormatError);
    assert.throws(() => forEachEntry(out.subarray(0, end + 1), emptyRecord(), noop), BatchFormatError);
    out.writeUInt32LE(2, 0);
    assert.throws(() => forEachEntry(out.subarray(0, end), emptyRecord(), noop), BatchFormatError);
    assert.throws(() => forEachEntry(out.subarray(0, 2), emptyRecord(), noop), BatchFormatError);
  });
});

describe('loss-suspect escalation', () => {
  it('kills session, then shard, then global as the windows fill, and forgets old entries', () => {
    const e = new LossEscalation({ windowMs: 1000, sessionThreshold: 2, shardThreshold: 3, globalThreshold: 4 }, 2);
    assert.deepEqual(e.register('a', 0, 0), { session: false, shard: false, global: false });
    assert.deepEqual(e.register('a', 0, 10), { session: true, shard: false, global: false });
    assert.deepEqual(e.register('b', 0, 20), { session: false, shard: true, global: false });
    assert.deepEqual(e.register('c', 1, 30), { session: false, shard: false, global: true });
    // 1000 ms after the first ones, they have left every window
    assert.deepEqual(e.register('a', 0, 1015), { session: false, shard: false, global: false });
  });
});

function setup(env: Record<string, string> = {}, recovered: ShardRecovery[] = [], epoch = 0) {
  const cfg = loadConfig({ V3_SHARD_COUNT: '1', V3_INGRESS_QUEUE_CAPACITY: '64', V3_LOSS_GAP_TIMEOUT_MS: '500', ...env });
  const clock = { ms: 1_000_000, mono: 10_000, nowMs: () => clock.ms, monoMs: () => clock.mono };
  const kill = new KillSwitch(cfg.fastPath, cfg.fastPath.shardCount);
  const losses = new LossPolicy(cfg.fastPath.confirm, kill, pino({ level: 'silent' }), clock);
  const fp = new FastPath(cfg.fastPath, { risk: new RiskEngine(cfg.risk), stages: new StageTimers(), kill, clock, seqBase: epoch * EPOCH_SPAN, enqueueFailures: losses });
  const confirm = new Confirmations(cfg.fastPath.confirm, fp, losses, recovered, true, clock);
  const drain = new RingConsumer(fp.rings[0]!);
  return { fp, clock, confirm, losses, drain };
}

describe('confirmation status', () => {
  it('VOLATILE_ACCEPT until the drain side frees the slot, then DURABLE_ACCEPTED', () => {
    const { fp, confirm, drain } = setup();
    const s = fp.session('sess');
    for (let i = 0; i < 3; i++) assert.equal(fp.submit('acct', s, order), null);
    assert.equal(confirm.status('sess', 1).status, 'VOLATILE_ACCEPT');
    drain.consume(3); // journaled, not yet durable
    assert.equal(confirm.status('sess', 1).status, 'VOLATILE_ACCEPT');
    drain.release(2); // the first two are durable
    const one = confirm.status('sess', 1);
    assert.equal(one.status, 'DURABLE_ACCEPTED');
    assert.equal(one.attemptId, 'att_1');
    assert.equal(one.orderId, fp.orderId(fp.lastOrderNo - 2));
    assert.equal(confirm.status('sess', 2).status, 'DURABLE_ACCEPTED');
    const three = confirm.status('sess', 3);
    assert.equal(three.status, 'VOLATILE_ACCEPT');
    assert.equal(three.receivedAtNs, 10_000 * 1e6);
    assert.equal(confirm.status('sess', 4).status, 'UNKNOWN');
    assert.equal(confirm.status('other', 1).status, 'UNKNOWN');
    const body = JSON.parse(Confirmations.json(three));
    assert.deepEqual(Object.keys(body), ['sessionId', 'sessionSeq', 'status', 'attemptId', 'orderId', 'receivedAtNs', 'updatedAtNs', 'shardId']);
  });

  it('the loss monitor marks orders not durable in time, kills the session, and durability still wins', () => {
    const { fp, clock, confirm, losses, drain } = setup();
    const s = fp.session('sess');
    assert.equal(fp.submit('acct', s, order), null);
    clock.mono += 100;
    assert.equal(fp.submit('acct', s, order), null);
    clock.mono += 450; // first is 550 ms old, second 450 ms
    confirm.scan();
    assert.equal(confirm.status('sess', 1).status, 'LOSS_SUSPECT');
    assert.equal(confirm.status('sess', 1).reason, 'DURABLE_CONFIRM_TIMEOUT');
    assert.equal(confirm.status('sess', 2).status, 'VOLATILE_ACCEPT');
    assert.equal(losses.counters.lossSuspect, 1);
    assert.equal(losses.counters.sessionKilled, 1);
    assert.equal(fp.submit('acct', s, order), 'V3_SESSION_KILLED');
    assert.equal(fp.submit('acct', fp.session('another'), order), null, 'other sessions go on');
    confirm.scan(); // no new mark for an order already marked
    assert.equal(losses.counters.lossSuspect, 1);
    drain.release(1);
    assert.equal(confirm.status('sess', 1).status, 'DURABLE_ACCEPTED');
  });

  it('escalates to shard and global kills with the configured thresholds', () => {
    const { fp, clock, confirm, losses } = setup({ V3_SESSION_LOSS_SUSPECT_THRESHOLD: '100', V3_SHARD_LOSS_SUSPECT_THRESHOLD: '2', V3_GLOBAL_LOSS_SUSPECT_THRESHOLD: '3' });
    for (const id of ['a', 'b', 'c']) assert.equal(fp.submit('acct', fp.session(id), order), null);
    clock.mono += 600;
    confirm.scan();
    assert.equal(losses.counters.lossSuspect, 3);
    assert.equal(losses.counters.shardKilled, 1);
    assert.equal(losses.counters.globalKilled, 1);
    assert.equal(fp.kill.global?.reason, 'V3_LOSS_SUSPECT');
    assert.equal(fp.submit('acct', fp.session('d'), order), 'V3_GLOBAL_KILLED');
  });

  it('a failed shard journal makes its held orders DURABLE_REJECTED and kills the shard', () => {
    const { fp, confirm, losses, drain } = setup();
    const s = fp.session('sess');
    assert.equal(fp.submit('acct', s, order), null);
    assert.equal(fp.submit('acct', s, order), null);
    drain.consume(2);
    drain.release(1);
    drain.markFailed();
    confirm.scan();
    assert.equal(confirm.status('sess', 1).status, 'DURABLE_ACCEPTED');
    const two = confirm.status('sess', 2);
    assert.equal(two.status, 'DURABLE_REJECTED');
    assert.equal(two.reason, 'WAL_DURABILITY_FAILED');
    assert.equal(fp.submit('acct', s, order), 'V3_SHARD_KILLED');
    assert.equal(losses.counters.journalFailures, 1);
  });

  it('after a restart: journaled runs read DURABLE_ACCEPTED (merged across shards), gaps UNKNOWN, numbering starts in the new epoch', () => {
    const { fp, confirm } = setup(
      {},
      [
        { shard: 0, records: 2, orders: 7, tornTail: false, sessions: [['sess', [1, 5, 8, 9]]] },
        { shard: 1, records: 1, orders: 2, tornTail: false, sessions: [['sess', [20, 21]]] }, // shard count changed between runs
      ],
      2,
    );
    assert.equal(confirm.status('sess', 1).status, 'DURABLE_ACCEPTED');
    assert.equal(confirm.status('sess', 5).status, 'DURABLE_ACCEPTED');
    assert.equal(confirm.status('sess', 6).status, 'UNKNOWN');
    assert.equal(confirm.status('sess', 9).status, 'DURABLE_ACCEPTED');
    assert.equal(confirm.status('sess', 10).status, 'UNKNOWN');
    assert.equal(confirm.status('sess', 21).status, 'DURABLE_ACCEPTED');
    assert.equal(fp.submit('acct', fp.session('sess'), order), null);
    assert.equal(fp.lastSessionSeq, 2 * 2 ** 32 + 1);
    assert.equal(fp.submit('acct', fp.session('new'), order), null);
    assert.equal(fp.lastSessionSeq, 2 * 2 ** 32 + 1, 'every session numbers from the epoch');
    assert.equal(confirm.status('new', 2 * 2 ** 32 + 1).status, 'VOLATILE_ACCEPT');
  });

  it('the epoch file: 0 for a fresh directory, 1 when journals predate it, then one more per start', async (t) => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { nextEpoch } = await import('../../../src/confirmation/epoch.js');
    const dir = await mkdtemp(join(tmpdir(), 'sy-epoch-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    assert.equal(await nextEpoch(join(dir, 'a'), false), 0);
    assert.equal(await nextEpoch(join(dir, 'a'), true), 1);
    assert.equal(await nextEpoch(join(dir, 'a'), true), 2);
    assert.equal((await readFile(join(dir, 'a', 'epoch'), 'utf8')).trim(), '2');
    assert.equal(await nextEpoch(join(dir, 'b'), true), 1);
  });

  it('with journaling off every accepted order stays VOLATILE_ACCEPT', () => {
    const cfg = loadConfig({ V3_SHARD_COUNT: '1', V3_INGRESS_QUEUE_CAPACITY: '8' });
    const fp = new FastPath(cfg.fastPath, { risk: new RiskEngine(cfg.risk), stages: new StageTimers() });
    const losses = new LossPolicy(cfg.fastPath.confirm, fp.kill, pino({ level: 'silent' }));
    const confirm = new Confirmations(cfg.fastPath.confirm, fp, losses, [], false);
    assert.equal(fp.submit('acct', fp.session('s'), order), null);
    new RingConsumer(fp.rings[0]!).release(1);
    assert.equal(confirm.status('s', 1).status, 'VOLATILE_ACCEPT');
  });
});

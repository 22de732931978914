/**
 * The durable service over a real journal in a temporary directory (no sockets): answers wait
 * for durability, duplicates, journal failure, backpressure, kill switch, cancels, restart.
 * Syncs are held and released by the test (HeldSync), so nothing depends on timing.
 */
import assert from 'node:assert/strict';
import { readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/config.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import type { Reason } from '../../../src/contract/reasons.js';
import { startDurable } from '../../../src/durable/recovery.js';
import { writeSnapshot } from '../../../src/journal/snapshot.js';
import { type DurableOrders } from '../../../src/durable/service.js';
import { AnswerKind, type DurableResponder } from '../../../src/durable/types.js';
import type { Order } from '../../../src/orders/order.js';
import { RiskEngine } from '../../../src/risk/engine.js';
import { HeldSync, ioError, tempDir, turns } from '../journal/helpers.js';

const log = pino({ level: 'silent' });

function order(over: Partial<NewOrder> = {}): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: null, ...over };
}

interface Answer {
  kind: AnswerKind;
  ctx: unknown;
  order: Order;
  reason?: Reason;
  status?: string;
}

class Kill {
  global: unknown = null;
  accounts = new Map<string, unknown>();
  blockedAccount(accountId: string): 'V3_GLOBAL_KILLED' | 'V3_ACCOUNT_KILLED' | null {
    if (this.global !== null) return 'V3_GLOBAL_KILLED';
    return this.accounts.has(accountId) ? 'V3_ACCOUNT_KILLED' : null;
  }
}

async function start(t: TestContext, dir: string, env: Record<string, string> = {}, held?: HeldSync, venueRecords?: (seq: number, type: number, payload: Buffer) => void) {
  const cfg = loadConfig({ GATEWAY_DATA_DIR: dir, V3_RISK_PROFILE: 'medium', AUDIT_HMAC_KEYS: 'k1:secret-one', AUDIT_SYNC_METHOD: 'fdatasync', ...env }); // the tests hold fdatasync calls
  const risk = new RiskEngine(cfg.risk);
  const kill = new Kill();
  const answers: Answer[] = [];
  const responder: DurableResponder<unknown> = {
    answer: (kind, ctx, o) => answers.push({ kind, ctx, order: o, status: o.status }),
    fail: (kind, ctx, o, _t0, reason) => answers.push({ kind, ctx, order: o, reason }),
  };
  const svc = await startDurable(cfg.durable, log, risk, kill, responder, { io: held?.io, orderIdPrefix: 'ord_u_', venueRecords });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await svc.close();
  };
  t.after(close);
  return { svc, risk, kill, answers, close };
}

/** Releases held syncs (as they come) until `cond` holds. */
async function releaseUntil(held: HeldSync, cond: () => boolean): Promise<void> {
  while (!cond()) {
    if (held.pending.length > 0) held.release();
    await new Promise((r) => setTimeout(r, 1));
  }
}

function submit(svc: DurableOrders<unknown>, key: string, o: NewOrder, ctx: unknown = key, account = 'acct-1'): Reason | null {
  return svc.submit(account, key, o, ctx, performance.now());
}

describe('durable service', () => {
  it('answers only once the record is durable; a concurrent duplicate gets the same order', async (t) => {
    const held = new HeldSync();
    const { svc, answers } = await start(t, await tempDir(t), {}, held);
    assert.equal(submit(svc, 'k1', order({ clientOrderId: 'c1' }), 'first'), null);
    assert.equal(submit(svc, 'k1', order({ clientOrderId: 'c1' }), 'dup'), null, 'same key while pending: waits for the same record');
    assert.equal(submit(svc, 'k1', order({ clientOrderId: 'c1', qty: 7 }), 'other'), 'IDEMPOTENCY_KEY_REUSED');
    await held.nextCall();
    await turns(5);
    assert.equal(answers.length, 0, 'nothing answered before the fdatasync returned');
    assert.equal(svc.inflight, 1);
    held.release();
    await releaseUntil(held, () => answers.length === 2);
    assert.deepEqual(answers.map((a) => [a.kind, a.ctx]), [[AnswerKind.Accepted, 'first'], [AnswerKind.Replay, 'dup']]);
    assert.equal(answers[0]!.order, answers[1]!.order);
    assert.equal(svc.book.creates, 1);
    assert.equal(svc.inflight, 0);
    // A replay of a durable order is answered at once.
    assert.equal(submit(svc, 'k1', order({ clientOrderId: 'c1' }), 'later'), null);
    assert.equal(answers[2]!.ctx, 'later');
    assert.equal(answers[2]!.kind, AnswerKind.Replay);
  });

  it('a journal failure answers WAL_DURABILITY_FAILED, rolls the book back, and refuses new orders', async (t) => {
    const held = new HeldSync();
    const { svc, answers, risk } = await start(t, await tempDir(t), {}, held);
    submit(svc, 'k1', order({ clientOrderId: 'c1' }), 'a');
    submit(svc, 'k1', order({ clientOrderId: 'c1' }), 'a-dup');
    await held.nextCall();
    submit(svc, 'k2', order(), 'b'); // next batch, queued behind the held one
    const id = svc.book.byClientOrderId('acct-1', 'c1')!.orderId;
    assert.equal(answers.length, 0);
    held.release(ioError('EIO'));
    await turns(5);
    assert.deepEqual(answers.map((a) => [a.ctx, a.reason]), [['a', 'WAL_DURABILITY_FAILED'], ['a-dup', 'WAL_DURABILITY_FAILED'], ['b', 'WAL_DURABILITY_FAILED']]);
    assert.equal(svc.book.get(id), undefined, 'order rolled back');
    assert.equal(svc.book.byClientOrderId('acct-1', 'c1'), undefined);
    assert.equal(svc.book.idem.size, 0);
    assert.equal(risk.account('acct-1', Date.now()).exposures.get('AAPL')!.openBuy, 0, 'exposure released');
    assert.equal(svc.inflight, 0);
    assert.equal(svc.journalFailed, true);
    assert.equal(submit(svc, 'k1', order({ clientOrderId: 'c1' })), 'WAL_DURABILITY_FAILED', 'no order is accepted on a failed journal');
    assert.equal(svc.counters.durabilityFailures, 3);
  });

  it('backpressure: inflight cap (429 reason) and pending journal bytes', async (t) => {
    const held = new HeldSync();
    const { svc, answers } = await start(t, await tempDir(t), { BACKPRESSURE_INFLIGHT_MAX: '2' }, held);
    assert.equal(submit(svc, 'k1', order()), null);
    assert.equal(submit(svc, 'k2', order()), null);
    assert.equal(submit(svc, 'k3', order()), 'BACKPRESSURE_INFLIGHT_SOFT');
    assert.equal(svc.counters.backpressureInflight, 1);
    assert.equal(submit(svc, 'k1', order()), null, 'a replay is not new work: never refused by backpressure');
    await releaseUntil(held, () => answers.length === 3);
    assert.equal(svc.inflight, 0);
    assert.equal(submit(svc, 'k3', order()), null, 'accepted once the journal caught up');
    await releaseUntil(held, () => answers.length === 4);

    const held2 = new HeldSync();
    const b = await start(t, await tempDir(t), { BACKPRESSURE_WAL_BYTES_MAX: '100', BACKPRESSURE_INFLIGHT_MAX: '0' }, held2);
    assert.equal(submit(b.svc, 'k1', order()), null);
    assert.equal(submit(b.svc, 'k2', order()), 'BACKPRESSURE_WAL_BYTES', 'more than 100 bytes not yet durable');
    assert.equal(b.svc.counters.backpressureWalBytes, 1);
    await releaseUntil(held2, () => b.answers.length === 1);
  });

  it('respects the global and account kill switches for new orders, never for cancels', async (t) => {
    const { svc, kill, answers } = await start(t, await tempDir(t));
    assert.equal(submit(svc, 'k1', order()), null);
    await waitFor(() => answers.length === 1);
    const o = answers[0]!.order;
    kill.accounts.set('acct-1', {});
    assert.equal(submit(svc, 'k2', order()), 'V3_ACCOUNT_KILLED');
    assert.equal(submit(svc, 'k2', order(), 'x', 'acct-2'), null, 'other accounts trade');
    kill.global = {};
    assert.equal(submit(svc, 'k3', order(), 'x', 'acct-2'), 'V3_GLOBAL_KILLED');
    assert.equal(svc.cancel('acct-1', o.orderId, 'cancel', 0), null);
    await waitFor(() => answers.some((a) => a.ctx === 'cancel'));
    assert.equal(answers.find((a) => a.ctx === 'cancel')!.status, 'CANCELED');
  });

  it('cancel rules: answered after the journal, 409 on terminal, 404 across accounts', async (t) => {
    const held = new HeldSync();
    const { svc, answers, risk } = await start(t, await tempDir(t), {}, held);
    submit(svc, 'k1', order({ qty: 50 }), 'new');
    await releaseUntil(held, () => answers.length === 1);
    const o = answers[0]!.order;
    assert.equal(svc.cancel('acct-2', o.orderId, 'x', 0), 'ORDER_NOT_FOUND', 'another account’s order does not exist');
    assert.equal(svc.cancel('acct-1', 'ord_u_999', 'x', 0), 'ORDER_NOT_FOUND');
    assert.equal(svc.cancel('acct-1', o.orderId, 'c1', 0), null);
    assert.equal(svc.cancel('acct-1', o.orderId, 'c2', 0), null, 'a second cancel while the first is pending');
    svc.read(o, 'read', 0);
    await held.nextCall();
    await turns(3);
    assert.equal(answers.length, 1, 'cancel, 409 and read all wait for the cancel to be durable');
    await releaseUntil(held, () => answers.length === 4);
    assert.deepEqual(answers.slice(1).map((a) => [a.ctx, a.kind, a.status]), [
      ['c1', AnswerKind.Cancel, 'CANCELED'],
      ['c2', AnswerKind.CancelFinal, 'CANCELED'],
      ['read', AnswerKind.Read, 'CANCELED'],
    ]);
    assert.equal(risk.account('acct-1', Date.now()).exposures.get('AAPL')!.openBuy, 0);
    assert.equal(svc.cancel('acct-1', o.orderId, 'c3', 0), null);
    assert.equal(answers[4]!.kind, AnswerKind.CancelFinal, 'terminal: 409 ORDER_FINAL at once');
  });

  it('reads a format-1 snapshot; with venues configured it recovers from the journal alone (format 1 has no venue state)', async (t) => {
    const dir = await tempDir(t);
    const a = await start(t, dir);
    for (let i = 0; i < 3; i++) submit(a.svc, `v1-${i}`, order({ clientOrderId: `v1-${i}` }));
    await waitFor(() => a.answers.length === 3);
    await a.close();
    // What the previous release wrote at seq 2: every event up to it.
    const ev = (n: number) => `[${n},1,${Date.now()},"ord_u_${n}","acct-1",${n},"v1-${n - 1}","AAPL",${Side.Buy},${OrdType.Limit},100,15000,${TimeInForce.GTC},0,"v1-${n - 1}"]`;
    const v1 = `{"v":1,"seq":2,"lastAcceptSeq":2,"lastAt":${Date.now()},"events":2}\n[${ev(1)},${ev(2)}]\n`;
    await writeSnapshot(join(dir, 'snapshots'), 2, Buffer.from(v1));

    const b = await start(t, dir);
    assert.deepEqual([b.svc.recovery.snapshotFormat, b.svc.recovery.snapshotSeq, b.svc.recovery.replayedRecords], [1, 2, 1]);
    assert.equal(b.svc.book.store.size, 3);
    await b.close();

    const seen: number[] = [];
    const c = await start(t, dir, {}, undefined, (seq) => seen.push(seq));
    assert.deepEqual([c.svc.recovery.snapshotFormat, c.svc.recovery.snapshotSeq, c.svc.recovery.replayedRecords], [0, 0, 3], 'the whole journal');
    assert.equal(c.svc.book.store.size, 3);
  });

  it('recovers orders, keys, cancels and exposure on restart, from the journal and from a snapshot', async (t) => {
    const dir = await tempDir(t);
    const env = { SNAPSHOT_EVERY_RECORDS: '10' };
    const a = await start(t, dir, env);
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) {
      submit(a.svc, `k${i}`, order({ clientOrderId: `c${i}` }));
      sent.push(`k${i}`);
    }
    await waitFor(() => a.answers.length === 25);
    const first = a.answers[0]!.order;
    a.svc.cancel('acct-1', first.orderId, 'cancel', 0);
    await waitFor(() => a.answers.length === 26);
    await waitFor(() => a.svc.counters.snapshots >= 1);
    const orders = new Map(a.answers.filter((x) => x.kind === AnswerKind.Accepted).map((x) => [x.order.idempotencyKey, x.order]));
    await a.close();
    const snaps = (await readdir(join(dir, 'snapshots'))).filter((f) => f.endsWith('.snap'));
    assert.ok(snaps.length >= 1, 'a snapshot was written');

    const b = await start(t, dir, env);
    const r = b.svc.recovery;
    assert.ok(r.snapshotSeq >= 10, `recovered from a snapshot (seq ${r.snapshotSeq})`);
    assert.equal(r.snapshotSeq + r.replayedRecords, 27, 'snapshot + tail = the whole journal');
    assert.equal(b.svc.book.store.size, 25);
    for (const [key, o] of orders) {
      const p = b.svc.book.get(o.orderId)!;
      assert.ok(p, key);
      assert.equal(p.acceptSeq, o.acceptSeq);
      assert.equal(b.svc.book.byClientOrderId('acct-1', o.clientOrderId!), p);
      assert.equal(submit(b.svc, key, o.request, 'replay-' + key), null);
      const ans = b.answers[b.answers.length - 1]!;
      assert.deepEqual([ans.kind, ans.order.orderId, ans.ctx], [AnswerKind.Replay, o.orderId, 'replay-' + key]);
    }
    assert.equal(b.svc.book.get(first.orderId)!.status, 'CANCELED');
    assert.equal(b.risk.account('acct-1', Date.now()).exposures.get('AAPL')!.openBuy, 24 * 100, 'exposure of the 24 open orders');
    // New orders continue the acceptSeq.
    submit(b.svc, 'k-new', order());
    await waitFor(() => b.answers.some((x) => x.kind === AnswerKind.Accepted));
    assert.equal(b.answers.find((x) => x.kind === AnswerKind.Accepted)!.order.acceptSeq, 26);
    const v = await b.svc.verify(1, 1000);
    assert.deepEqual([v.ok, v.checked, v.error], [true, 28, null]);
  });
});

describe('durable recovery of damaged journals', () => {
  it('a torn newest segment header hiding a torn tail before it (sync off) is cut, and the rest recovered', async (t) => {
    const dir = await tempDir(t);
    const env = { AUDIT_FDATASYNC: '0', AUDIT_SEGMENT_BYTES: '4096' };
    const a = await start(t, dir, env);
    for (let i = 0; i < 60; i++) submit(a.svc, `k${i}`, order({ clientOrderId: `c${i}` }));
    await waitFor(() => a.answers.length === 60);
    await a.close();
    const jdir = join(dir, 'journal');
    const segs = (await readdir(jdir)).filter((f) => f.endsWith('.seg')).sort();
    assert.ok(segs.length >= 3, `several segments (${segs.length})`);
    const newest = join(jdir, segs[segs.length - 1]!);
    const prev = join(jdir, segs[segs.length - 2]!);
    await truncate(prev, (await stat(prev)).size - 20); // its last record loses 20 bytes
    await truncate(newest, 10); // the newest segment's header never made it
    const b = await start(t, dir, env);
    const r = b.svc.recovery;
    assert.equal(r.tornTail, true);
    assert.ok(r.lastSeq > 40 && r.lastSeq < 60, `recovered up to the cut (${r.lastSeq})`);
    assert.equal(b.svc.book.store.size, r.lastSeq);
    for (let i = 0; i < r.lastSeq; i++) assert.ok(b.svc.book.byClientOrderId('acct-1', `c${i}`), `c${i}`);
    // and the journal goes on from there
    submit(b.svc, 'k-new', order({ clientOrderId: 'c-new' }));
    await waitFor(() => b.answers.length === 1);
    assert.equal(b.answers[0]!.order.acceptSeq, r.lastSeq + 1);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

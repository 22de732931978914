/**
 * Durable confirmation of /v3 orders with a real gateway process: status over HTTP, restart
 * after kill -9 (confirmed orders stay confirmed, numbering is not reused), a failing journal
 * (DURABLE_REJECTED + shard kill) and a journal that never syncs (LOSS_SUSPECT + session kill).
 * Statuses are polled until they change; no assertion depends on how fast that happens.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { get, metrics, ORDER, post, startGateway, token } from '../helpers/gateway.js';

const KEYS = { AUDIT_HMAC_KEYS: 'k1:v3-secret' };

/**
 * Tests that are not about loss detection: no order may be declared LOSS_SUSPECT because a slow
 * machine took longer than the default 500 ms to confirm it.
 */
const NO_LOSS_TIMER = { V3_LOSS_GAP_TIMEOUT_MS: '600000' };

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('/v3 durable confirmation', () => {
  it('VOLATILE_ACCEPT becomes DURABLE_ACCEPTED; the status route checks the caller and the path', async () => {
    const gw = await startGateway({ ...KEYS, ...NO_LOSS_TIMER });
    try {
      const tok = await token('acct-c', { sub: 'sess-c' });
      const acks = [];
      for (let i = 0; i < 20; i++) {
        const r = await post(gw.base, '/v3/orders', tok, ORDER);
        assert.equal(r.status, 202);
        acks.push(r.json);
      }
      const last = acks[19];
      const st = await until('durable', () => get(gw.base, `/v3/orders/sess-c/${last.sessionSeq}`, tok), (r) => r.json?.status === 'DURABLE_ACCEPTED');
      assert.equal(st.status, 200);
      assert.equal(st.json.orderId, last.orderId);
      assert.equal(st.json.attemptId, `att_${last.sessionSeq}`);
      assert.equal(typeof st.json.shardId, 'number');
      for (const a of acks) {
        const r = await get(gw.base, `/v3/orders/sess-c/${a.sessionSeq}`, tok);
        assert.equal(r.json.status, 'DURABLE_ACCEPTED', 'earlier orders are durable too (in ring order)');
      }
      const unknown = await get(gw.base, '/v3/orders/sess-c/999', tok);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.status, 'UNKNOWN');
      assert.equal(unknown.json.reason, 'UNKNOWN_ORDER');
      assert.match(unknown.json.message, /never issued in this epoch: the session's last sequence number is 20/);
      assert.equal(unknown.json.epochFirstSeq, 1);
      assert.deepEqual((await get(gw.base, '/v3/orders/someone-else/1', tok)).json, { error: 'forbidden' });
      assert.equal((await get(gw.base, '/v3/orders/sess-c/1', undefined)).status, 401);
      const bad = await get(gw.base, '/v3/orders/sess-c/x1', tok);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.reason, 'INVALID_QUERY');
      assert.equal((await get(gw.base, '/v3/orders/sess-c/1/extra', tok)).status, 404);
      assert.equal((await post(gw.base, '/v3/orders/sess-c/1', tok, {})).status, 405);
      // The shard journal is verifiable through the audit routes like the durable path's.
      const shard = st.json.shardId;
      const v = await get(gw.base, `/audit/verify?journal=v3-shard-${shard}`, tok);
      assert.equal(v.status, 200);
      assert.equal(v.json.ok, true);
      assert.ok(v.json.checked >= 1, 'at least one batch record');
      const a = await get(gw.base, `/audit/anchor?journal=v3-shard-${shard}`, tok);
      assert.equal(a.status, 200);
      assert.equal(a.json.seq, v.json.lastSeq);
      assert.equal(a.json.keyId, 'k1');
      assert.equal((await get(gw.base, '/audit/verify?journal=v3-shard-99', tok)).status, 400);
      assert.equal((await get(gw.base, '/audit/anchor?journal=nope', tok)).status, 400);
      // The drain worker ships its confirmation latencies every 250 ms: wait for them.
      const m = await until('confirmation latencies', () => metrics(gw.base), (x) => x.get('gateway_v3_durable_confirm_p99_us')! > 0);
      assert.equal(m.get('gateway_v3_durable_accepted_total'), 20);
      assert.ok(m.get('gateway_v3_journal_records_total')! >= 1);
      assert.equal(m.get('gateway_v3_loss_suspect_total'), 0);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('kill -9: confirmed orders are DURABLE_ACCEPTED after the restart and numbers are never reused, even after a second crash', async () => {
    const gw = await startGateway({ ...KEYS, ...NO_LOSS_TIMER, V3_INGRESS_QUEUE_CAPACITY: '1024' });
    const tok = await token('acct-k', { sub: 'sess-k' });
    const acks = [];
    for (let i = 0; i < 50; i++) acks.push((await post(gw.base, '/v3/orders', tok, ORDER)).json);
    const last = acks[49];
    await until('durable', () => get(gw.base, `/v3/orders/sess-k/${last.sessionSeq}`, tok), (r) => r.json?.status === 'DURABLE_ACCEPTED');
    await gw.kill();

    const again = await startGateway({ ...KEYS, ...NO_LOSS_TIMER, V3_INGRESS_QUEUE_CAPACITY: '1024', GATEWAY_DATA_DIR: gw.dataDir });
    try {
      for (const a of acks) {
        const r = await get(again.base, `/v3/orders/sess-k/${a.sessionSeq}`, tok);
        assert.equal(r.json.status, 'DURABLE_ACCEPTED', `seq ${a.sessionSeq} after restart`);
      }
      const next = await post(again.base, '/v3/orders', tok, ORDER);
      assert.equal(next.status, 202);
      assert.equal(next.json.sessionSeq, 2 ** 32 + 1, 'numbering continues in the next epoch');
      const gone = await get(again.base, `/v3/orders/sess-k/${50 + 1}`, tok);
      assert.deepEqual([gone.status, gone.json.status, gone.json.reason, gone.json.epochFirstSeq], [404, 'UNKNOWN', 'UNKNOWN_ORDER', 2 ** 32 + 1]);
      assert.match(gone.json.message, /before this run's epoch/);
      // Crash again before anything of this run is durable-confirmed: the next run must not reuse its numbers.
      await again.kill();
      const third = await startGateway({ ...KEYS, ...NO_LOSS_TIMER, V3_INGRESS_QUEUE_CAPACITY: '1024', GATEWAY_DATA_DIR: gw.dataDir });
      try {
        const n3 = await post(third.base, '/v3/orders', tok, ORDER);
        assert.equal(n3.json.sessionSeq, 2 * 2 ** 32 + 1);
      } finally {
        assert.equal(await third.stop(), 0);
      }
    } finally {
      if (again.proc.exitCode === null && again.proc.signalCode === null) await again.stop();
    }
  });

  it('a failing journal: DURABLE_REJECTED, the shard is killed, nothing is confirmed', async () => {
    const gw = await startGateway({ ...KEYS, ...NO_LOSS_TIMER, V3_JOURNAL_FAILPOINT: 'fdatasync-eio', V3_SHARD_COUNT: '1' });
    try {
      const tok = await token('acct-f', { sub: 'sess-f' });
      const r = await post(gw.base, '/v3/orders', tok, ORDER);
      assert.equal(r.status, 202);
      const st = await until('rejected', () => get(gw.base, `/v3/orders/sess-f/${r.json.sessionSeq}`, tok), (x) => x.json?.status === 'DURABLE_REJECTED');
      assert.equal(st.json.reason, 'WAL_DURABILITY_FAILED');
      const refused = await until('shard kill', () => post(gw.base, '/v3/orders', tok, ORDER), (x) => x.status === 503);
      assert.equal(refused.json.reason, 'V3_SHARD_KILLED');
      const m = await metrics(gw.base);
      assert.equal(m.get('gateway_v3_durable_accepted_total'), 0);
      assert.equal(m.get('gateway_v3_durable_rejected_total'), 1);
      assert.equal(m.get('gateway_v3_journal_failures_total'), 1);
    } finally {
      await gw.kill();
    }
  });

  it('a journal that never syncs: LOSS_SUSPECT, then the session is killed', async () => {
    const gw = await startGateway({ ...KEYS, V3_JOURNAL_FAILPOINT: 'fdatasync-hang', V3_LOSS_GAP_TIMEOUT_MS: '100', V3_LOSS_SCAN_INTERVAL_MS: '10' });
    try {
      const tok = await token('acct-l', { sub: 'sess-l' });
      const r = await post(gw.base, '/v3/orders', tok, ORDER);
      assert.equal(r.status, 202);
      const st = await until('loss-suspect', () => get(gw.base, `/v3/orders/sess-l/${r.json.sessionSeq}`, tok), (x) => x.json?.status === 'LOSS_SUSPECT');
      assert.equal(st.json.reason, 'DURABLE_CONFIRM_TIMEOUT');
      const refused = await post(gw.base, '/v3/orders', tok, ORDER);
      assert.equal(refused.status, 503);
      assert.equal(refused.json.reason, 'V3_SESSION_KILLED');
      const other = await post(gw.base, '/v3/orders', await token('acct-l2', { sub: 'sess-other' }), ORDER);
      assert.equal(other.status, 202, 'other sessions are not blocked by one loss-suspect order');
      const m = await metrics(gw.base);
      assert.ok(m.get('gateway_v3_loss_suspect_total')! >= 1);
      assert.equal(m.get('gateway_v3_session_killed_total'), 1);
    } finally {
      await gw.kill();
    }
  });
});

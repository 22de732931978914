/**
 * Recovery of the durable path with a real gateway process: restart, torn tail, damaged records
 * (what /audit/verify reports, and the refusal to start on damage before the end of the newest
 * segment), snapshot + journal tail, and the crash test (kill -9 under load).
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32c } from '../../src/journal/crc32c.js';
import { readAt, recordOffsets, segments, writeAt } from '../helpers/journal-files.js';
import { get, metrics, ORDER, post, startFailing, startGateway, token } from '../helpers/gateway.js';

const KEYS = { AUDIT_HMAC_KEYS: 'k1:recovery-secret' };

const order = (coid: string) => ({ ...ORDER, clientOrderId: coid });

describe('durable path: recovery', () => {
  it('restarts with every order, key, cancel and the acceptSeq counter', async () => {
    const gw = await startGateway(KEYS);
    const tok = await token('acct-r');
    const acks = [];
    for (let i = 0; i < 10; i++) acks.push((await post(gw.base, '/orders', tok, order(`r-${i}`))).json);
    assert.equal((await post(gw.base, `/orders/${acks[3].orderId}/cancel`, tok, '')).status, 202);
    assert.equal(await gw.stop(), 0);

    const gw2 = await startGateway({ ...KEYS, GATEWAY_DATA_DIR: gw.dataDir });
    try {
      for (const [i, a] of acks.entries()) {
        const o = await get(gw2.base, `/orders/${a.orderId}`, tok);
        assert.equal(o.status, 200);
        assert.equal(o.json.status, i === 3 ? 'CANCELED' : 'ACCEPTED');
        const replay = await post(gw2.base, '/orders', tok, order(`r-${i}`));
        assert.deepEqual(replay.json, a, 'same answer after the restart');
      }
      const next = await post(gw2.base, '/orders', tok, order('r-new'));
      assert.equal(next.json.acceptSeq, acks[9].acceptSeq + 1);
      const m = await metrics(gw2.base);
      assert.equal(m.get('gateway_recovery_records'), 12);
      assert.equal(m.get('gateway_orders{status="CANCELED"}'), 1);
      assert.equal((await get(gw2.base, '/audit/verify', tok)).json.ok, true);
    } finally {
      await gw2.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('cuts a torn tail with a log line; the orders before it are there and the chain continues', async () => {
    const gw = await startGateway(KEYS);
    const tok = await token('acct-t');
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push((await post(gw.base, '/orders', tok, order(`t-${i}`))).json);
    const last = (await post(gw.base, '/orders', tok, order('t-last'))).json;
    assert.equal(await gw.stop(), 0);
    // Cut the newest segment in the middle of its last record.
    const seg = segments(join(gw.dataDir, 'journal')).pop()!;
    const offs = recordOffsets(seg);
    const lastAt = offs[offs.length - 1]!;
    truncateSync(seg, lastAt + 40);

    const gw2 = await startGateway({ ...KEYS, GATEWAY_DATA_DIR: gw.dataDir });
    try {
      const line = gw2.output.find((l) => l.includes('journal tail truncated'));
      assert.ok(line, `torn tail logged:\n${gw2.output.join('\n')}`);
      const info = JSON.parse(line!);
      assert.deepEqual([info.offset, info.bytesCut, info.lastSeq], [lastAt, 40, 5]);
      for (const a of acks) assert.equal((await get(gw2.base, `/orders/${a.orderId}`, tok)).status, 200);
      assert.equal((await get(gw2.base, `/orders/${last.orderId}`, tok)).status, 404, 'the torn record is gone');
      const again = await post(gw2.base, '/orders', tok, order('t-last'));
      assert.equal(again.status, 202, 'its key is free: a retry creates the order');
      assert.equal(statSync(seg).size > lastAt, true);
      const v = await get(gw2.base, '/audit/verify', tok);
      assert.deepEqual([v.json.ok, v.json.checked], [true, 6], v.text);
    } finally {
      await gw2.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('a flipped byte in an older segment: /audit/verify reports the kind, segment and offset', async () => {
    const gw = await startGateway({ ...KEYS, AUDIT_SEGMENT_BYTES: '4096' });
    const tok = await token('acct-f');
    try {
      for (let i = 0; i < 80; i++) assert.equal((await post(gw.base, '/orders', tok, order(`f-${i}`))).status, 202);
      const segs = segments(join(gw.dataDir, 'journal'));
      assert.ok(segs.length >= 3, `several segments (${segs.length})`);
      const first = segs[0]!;
      const offs = recordOffsets(first);
      const victim = offs[2]!; // the third record: seq 3
      const total = readAt(first, victim, 4).readUInt32LE(0);
      const payloadByte = victim + total - 64 + 10; // inside the payload
      const orig = readAt(first, payloadByte, 1);

      // 1. A flipped bit: the record's CRC no longer matches.
      writeAt(first, payloadByte, Buffer.from([orig[0]! ^ 0x01]));
      const v = await get(gw.base, '/audit/verify', tok);
      assert.equal(v.status, 200);
      assert.equal(v.json.ok, false);
      assert.deepEqual([v.json.checked, v.json.lastSeq], [2, 2]);
      assert.deepEqual(
        [v.json.error.kind, v.json.error.seq, v.json.error.segment, v.json.error.offset],
        ['checksum', 3, '00000000000000000001.seg', victim],
      );

      // 2. An edit with a recomputed CRC: only the HMAC chain can tell.
      const rec = readAt(first, victim, total);
      rec[payloadByte - victim] = orig[0]! ^ 0x01;
      rec.writeUInt32LE(crc32c(rec, 0, total - 4), total - 4);
      writeAt(first, victim, rec);
      const c = await get(gw.base, '/audit/verify', tok);
      assert.deepEqual([c.json.ok, c.json.error.kind, c.json.error.seq, c.json.error.segment, c.json.error.offset], [false, 'chain', 3, '00000000000000000001.seg', victim]);
      const from5 = await get(gw.base, '/audit/verify?fromSeq=5', tok);
      assert.equal(from5.json.ok, true, 'records after it verify on their own');

      writeAt(first, payloadByte, orig);
      rec[payloadByte - victim] = orig[0]!;
      rec.writeUInt32LE(crc32c(rec, 0, total - 4), total - 4);
      writeAt(first, victim, rec);
      assert.equal((await get(gw.base, '/audit/verify?limit=10000', tok)).json.ok, true, 'restored');
    } finally {
      await gw.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start when the newest segment is damaged before its end (acknowledged records follow)', async () => {
    const gw = await startGateway(KEYS);
    const tok = await token('acct-d');
    for (let i = 0; i < 5; i++) await post(gw.base, '/orders', tok, order(`d-${i}`));
    assert.equal(await gw.stop(), 0);
    const seg = segments(join(gw.dataDir, 'journal')).pop()!;
    const offs = recordOffsets(seg);
    const b = readAt(seg, offs[1]! + 40, 1);
    writeAt(seg, offs[1]! + 40, Buffer.from([b[0]! ^ 0xff]));
    const r = await startFailing({ ...KEYS, GATEWAY_DATA_DIR: gw.dataDir, GATEWAY_TCP_PORT: '0', LOG_LEVEL: 'warn' });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /JournalIntegrityError|cannot open journal/);
    rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it('restarts from a snapshot plus the journal tail', async () => {
    const env = { ...KEYS, SNAPSHOT_EVERY_RECORDS: '10' };
    const gw = await startGateway(env);
    const tok = await token('acct-s');
    const acks = [];
    for (let i = 0; i < 35; i++) acks.push((await post(gw.base, '/orders', tok, order(`s-${i}`))).json);
    for (const i of [0, 20]) assert.equal((await post(gw.base, `/orders/${acks[i].orderId}/cancel`, tok, '')).status, 202);
    // 39 records: snapshots at 10, 20, 30 (each written once the records it covers are durable).
    while ((await metrics(gw.base)).get('gateway_snapshot_last_seq')! < 30) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gw.stop(), 0);
    assert.ok(readdirSync(join(gw.dataDir, 'snapshots')).some((f) => f.endsWith('.snap')));

    const gw2 = await startGateway({ ...env, GATEWAY_DATA_DIR: gw.dataDir });
    try {
      const m = await metrics(gw2.base);
      const snapSeq = m.get('gateway_recovery_snapshot_seq')!;
      assert.ok(snapSeq >= 30, `snapshot seq ${snapSeq}`);
      assert.equal(m.get('gateway_recovery_records'), 39 - snapSeq, 'only the tail after the snapshot was replayed');
      for (const [i, a] of acks.entries()) {
        const o = await get(gw2.base, `/orders/client/s-${i}`, tok);
        assert.equal(o.json.orderId, a.orderId);
        assert.equal(o.json.status, i === 0 || i === 20 ? 'CANCELED' : 'ACCEPTED');
        assert.deepEqual((await post(gw2.base, '/orders', tok, order(`s-${i}`))).json, a);
      }
      const ev = await get(gw2.base, `/orders/${acks[0].orderId}/events`, tok);
      assert.deepEqual(ev.json.events.map((e: any) => e.type), ['OrderAccepted', 'CancelRequested', 'OrderUpdated']);
      assert.equal((await get(gw2.base, '/accounts/acct-s/events?limit=1000', tok)).json.events.length, 39);
      assert.equal((await post(gw2.base, '/orders', tok, order('s-new'))).json.acceptSeq, 36);
    } finally {
      await gw2.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('crash test: kill -9 while 16 clients send; every acknowledged order survives', async () => {
    const gw = await startGateway(KEYS);
    const tok = await token('acct-crash');
    const acked: Array<{ key: string; body: object; ack: any; text: string }> = [];
    const unanswered: Array<{ key: string; body: object }> = [];
    let stop = false;
    let killing: Promise<void> | null = null;
    const KILL_AFTER = 400;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const key = `crash-${c}-${i}`;
        const body = { ...ORDER, qty: 1 + ((c * 7 + i) % 50), clientOrderId: key };
        let r;
        try {
          r = await post(gw.base, '/orders', tok, body, { 'idempotency-key': key });
        } catch {
          unanswered.push({ key, body });
          return; // the gateway is gone
        }
        assert.equal(r.status, 202, r.text);
        acked.push({ key, body, ack: r.json, text: r.text });
        if (acked.length >= KILL_AFTER && killing === null) {
          killing = gw.kill(); // SIGKILL while the other clients have requests in flight
          stop = true;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
    await killing;
    assert.ok(acked.length >= KILL_AFTER);

    const gw2 = await startGateway({ ...KEYS, GATEWAY_DATA_DIR: gw.dataDir });
    try {
      for (const a of acked) {
        const byId = await get(gw2.base, `/orders/${a.ack.orderId}`, tok);
        assert.equal(byId.status, 200, `acknowledged order ${a.ack.orderId} (${a.key}) is there`);
        assert.equal(byId.json.clientOrderId, a.key);
        assert.equal(byId.json.acceptSeq, a.ack.acceptSeq);
        const byClient = await get(gw2.base, `/orders/client/${a.key}`, tok);
        assert.equal(byClient.json.orderId, a.ack.orderId);
        const replay = await post(gw2.base, '/orders', tok, a.body, { 'idempotency-key': a.key });
        assert.equal(replay.status, 202);
        assert.equal(replay.text, a.text, 'the original answer');
      }
      // Requests cut by the crash were never acknowledged: a retry either finds the order (it
      // reached the disk) or creates it; it is never a conflict.
      for (const u of unanswered) {
        const r = await post(gw2.base, '/orders', tok, u.body, { 'idempotency-key': u.key });
        assert.equal(r.status, 202, r.text);
      }
      const v = await get(gw2.base, '/audit/verify?limit=10000', tok);
      assert.equal(v.json.ok, true, v.text);
      assert.ok(v.json.checked >= acked.length);
    } finally {
      await gw2.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  });
});

/**
 * Start-up over a damaged journal, with a real gateway process: a byte flipped in the last
 * complete record (durable path or a /v3 shard journal) or an edited record with a recomputed
 * CRC stops the start (exit code, typed message); a torn tail is cut, set aside in a side file,
 * and every acknowledged order is still there.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32c } from '../../src/journal/crc32c.js';
import { readAt, recordOffsets, segments, writeAt } from '../helpers/journal-files.js';
import { get, ORDER, post, startFailing, startGateway, token } from '../helpers/gateway.js';

const KEYS = { AUDIT_HMAC_KEYS: 'k1:integrity-secret' };

const order = (coid: string) => ({ ...ORDER, clientOrderId: coid });

async function journalOfFive(prefix: string): Promise<{ dataDir: string; acks: any[]; tok: string }> {
  const gw = await startGateway(KEYS);
  const tok = await token(`acct-${prefix}`);
  const acks = [];
  for (let i = 0; i < 5; i++) {
    const r = await post(gw.base, '/orders', tok, order(`${prefix}-${i}`));
    assert.equal(r.status, 202);
    acks.push(r.json);
  }
  assert.equal(await gw.stop(), 0);
  return { dataDir: gw.dataDir, acks, tok };
}

describe('journal integrity at start-up', () => {
  it('a byte flipped in the last acknowledged record: the gateway refuses to start and names the place', async () => {
    const { dataDir } = await journalOfFive('flip');
    try {
      const seg = segments(join(dataDir, 'journal')).pop()!;
      const offs = recordOffsets(seg);
      const last = offs[offs.length - 1]!;
      const size = statSync(seg).size;
      const b = readAt(seg, last + 50, 1);
      writeAt(seg, last + 50, Buffer.from([b[0]! ^ 0xff]));
      const r = await startFailing({ ...KEYS, GATEWAY_DATA_DIR: dataDir, GATEWAY_TCP_PORT: '0' });
      assert.notEqual(r.code, 0);
      assert.equal(r.code, 1);
      const name = seg.split('/').pop()!;
      assert.match(r.output, new RegExp(`JOURNAL_CORRUPT_RECORD: .*${name}.*offset ${last} \\(seq 5\\)`), r.output);
      assert.equal(statSync(seg).size, size, 'the acknowledged record was not cut');
      assert.deepEqual(readdirSync(join(dataDir, 'journal')).filter((f) => f.includes('.torn-')), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a torn tail: the gateway starts, keeps every acknowledged order, and the cut bytes are in a side file', async () => {
    const { dataDir, acks, tok } = await journalOfFive('torn');
    try {
      const seg = segments(join(dataDir, 'journal')).pop()!;
      const offs = recordOffsets(seg);
      // the start of a sixth write that never completed: half a record
      const half = readAt(seg, offs[4]!, 60);
      appendFileSync(seg, half);
      const gw = await startGateway({ ...KEYS, GATEWAY_DATA_DIR: dataDir });
      try {
        const line = gw.output.find((l) => l.includes('journal tail truncated'));
        assert.ok(line, gw.output.join('\n'));
        const info = JSON.parse(line!) as { bytesCut: number; savedTo: string; lastSeq: number; msg: string };
        assert.deepEqual([info.bytesCut, info.lastSeq], [60, 5]);
        assert.match(info.msg, /kept in /);
        assert.deepEqual(readFileSync(info.savedTo), half, 'the cut bytes are in the side file');
        for (const a of acks) assert.equal((await get(gw.base, `/orders/${a.orderId}`, tok)).status, 200, `${a.orderId} is there`);
        const v = await get(gw.base, '/audit/verify', tok);
        assert.deepEqual([v.json.ok, v.json.checked], [true, 5]);
      } finally {
        assert.equal(await gw.stop(), 0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an edited record with a recomputed CRC: refused (JOURNAL_CHAIN_BROKEN), or started with JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1', async () => {
    const { dataDir, acks, tok } = await journalOfFive('edit');
    try {
      const seg = segments(join(dataDir, 'journal')).pop()!;
      const at = recordOffsets(seg)[2]!;
      const total = readAt(seg, at, 4).readUInt32LE(0);
      const rec = readAt(seg, at, total);
      rec.writeUInt32LE(rec.readUInt32LE(12) + 1, 12); // its time, a millisecond later
      rec.writeUInt32LE(crc32c(rec, 0, total - 4), total - 4);
      writeAt(seg, at, rec);
      const r = await startFailing({ ...KEYS, GATEWAY_DATA_DIR: dataDir, GATEWAY_TCP_PORT: '0' });
      assert.equal(r.code, 1);
      assert.match(r.output, new RegExp(`JOURNAL_CHAIN_BROKEN: .*hash mismatch at record 3 \\(offset ${at}\\)`), r.output);

      const gw = await startGateway({ ...KEYS, GATEWAY_DATA_DIR: dataDir, JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: '1' });
      try {
        const line = gw.output.find((l) => l.includes('journal HMAC chain broken'));
        assert.ok(line, gw.output.join('\n'));
        assert.deepEqual([JSON.parse(line!).code, JSON.parse(line!).seq], ['JOURNAL_CHAIN_BROKEN', 3]);
        for (const a of acks) assert.equal((await get(gw.base, `/orders/${a.orderId}`, tok)).status, 200);
        assert.equal((await get(gw.base, '/audit/verify', tok)).json.ok, false, '/audit/verify still reports it');
      } finally {
        assert.equal(await gw.stop(), 0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('/v3: a byte flipped in the last record of a shard journal stops the start too', async () => {
    const gw = await startGateway({ ...KEYS, V3_SHARD_COUNT: '1' });
    const dataDir = gw.dataDir;
    try {
      const tok = await token('acct-v3i', { sub: 'v3i' });
      for (let i = 0; i < 3; i++) assert.equal((await post(gw.base, '/v3/orders', tok, ORDER)).status, 202);
      // wait for the last one to be durable (journaled by the drain worker)
      while ((await get(gw.base, '/v3/orders/v3i/3', tok)).json.status !== 'DURABLE_ACCEPTED') await new Promise((r) => setTimeout(r, 20));
      assert.equal(await gw.stop(), 0);
      const seg = segments(join(dataDir, 'v3', 'shard-0')).pop()!;
      const offs = recordOffsets(seg);
      const last = offs[offs.length - 1]!;
      const b = readAt(seg, last + 40, 1);
      writeAt(seg, last + 40, Buffer.from([b[0]! ^ 0xff]));
      const r = await startFailing({ ...KEYS, GATEWAY_DATA_DIR: dataDir, GATEWAY_TCP_PORT: '0', V3_SHARD_COUNT: '1' });
      assert.equal(r.code, 1);
      assert.match(r.output, /could not open its \/v3 journals: JOURNAL_CORRUPT_RECORD: .*corrupt record at offset \d+ \(seq \d+\)/, r.output);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

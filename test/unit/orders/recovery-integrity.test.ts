/**
 * Start-up over damaged journals, durable path and /v3 shard journals alike: a corrupt complete
 * last record and a broken HMAC chain refuse the start with a typed error (stable code, segment,
 * offset, seq); JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN starts anyway and reports each break; a torn
 * tail is cut, set aside, and every acknowledged order stays.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Logger, pino } from 'pino';
import { loadConfig } from '../../../src/config/config.js';
import { perfZeroNs, shardJournalDir, JournalSink, type V3JournalSettings } from '../../../src/drain/journal-sink.js';
import { type NewOrder, OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { startDurable } from '../../../src/durable/recovery.js';
import type { DurableOrders } from '../../../src/durable/service.js';
import { crc32c } from '../../../src/journal/crc32c.js';
import { JournalIntegrityError } from '../../../src/journal/errors.js';
import { SEGMENT_HEADER_BYTES } from '../../../src/journal/format.js';
import { getU32, getU64, putU32, putU64 } from '@switchyard/protocol';
import { JournalWriter } from '../../../src/journal/writer.js';
import { RiskEngine } from '../../../src/risk/engine.js';
import { tempDir } from '../journal/helpers.js';

const KEYS_ENV = { AUDIT_HMAC_KEYS: 'k1:secret-one', AUDIT_FDATASYNC: '0', V3_RISK_PROFILE: 'light' };

interface Logged {
  level: number;
  msg: string;
  [k: string]: unknown;
}

const NO_KILL = { blockedAccount: (): null => null };
const NO_ANSWERS = { answer: (): void => {}, fail: (): void => {} };

function capture(): { log: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Logged) });
  return { log, lines };
}

async function start(t: TestContext, dir: string, env: Record<string, string> = {}): Promise<{ svc: DurableOrders<null>; lines: Logged[] }> {
  const cfg = loadConfig({ GATEWAY_DATA_DIR: dir, ...KEYS_ENV, ...env });
  const { log, lines } = capture();
  const svc = await startDurable<null>(cfg.durable, log, new RiskEngine(cfg.risk), NO_KILL, NO_ANSWERS, { orderIdPrefix: 'ord_i_' });
  t.after(() => svc.close());
  return { svc, lines };
}

function order(id: string): NewOrder {
  return { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 10, price: 15000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: id };
}

/** Writes `n` acknowledged orders (c-1 .. c-n) and closes the service. */
async function acknowledged(t: TestContext, dir: string, n: number): Promise<void> {
  const cfg = loadConfig({ GATEWAY_DATA_DIR: dir, ...KEYS_ENV });
  let acks = 0;
  const answers = { answer: (): void => void acks++, fail: (): void => assert.fail('an order failed') };
  const svc = await startDurable<null>(cfg.durable, pino({ level: 'silent' }), new RiskEngine(cfg.risk), NO_KILL, answers, { orderIdPrefix: 'ord_i_' });
  for (let i = 1; i <= n; i++) assert.equal(svc.submit('acct-1', `c-${i}`, order(`c-${i}`), null, performance.now()), null);
  while (acks < n) await new Promise((r) => setTimeout(r, 2));
  await svc.close();
  void t;
}

/** The journal's only segment: path, bytes and record offsets. */
async function segment(dir: string): Promise<{ path: string; bytes: Buffer; offsets: number[] }> {
  const jdir = join(dir, 'journal');
  const name = (await readdir(jdir)).filter((f) => f.endsWith('.seg')).sort().pop()!;
  const path = join(jdir, name);
  const bytes = await readFile(path);
  const offsets: number[] = [];
  for (let p = SEGMENT_HEADER_BYTES; p + 4 <= bytes.length; p += getU32(bytes, p)) offsets.push(p);
  return { path, bytes, offsets };
}

/** Changes record `at`'s atMs (hashed by the chain, not needed to decode) and recomputes its CRC. */
function editWithCrc(bytes: Buffer, at: number): void {
  const total = getU32(bytes, at);
  putU64(bytes, at + 12, getU64(bytes, at + 12) + 1);
  putU32(bytes, at + total - 4, crc32c(bytes, at, at + total - 4));
}

describe('durable path start-up over a damaged journal', () => {
  it('a byte flipped in the last complete record refuses the start (JOURNAL_CORRUPT_RECORD), nothing cut', async (t) => {
    const dir = await tempDir(t);
    await acknowledged(t, dir, 5);
    const seg = await segment(dir);
    const last = seg.offsets[seg.offsets.length - 1]!;
    seg.bytes[last + 40]! ^= 0xff;
    await writeFile(seg.path, seg.bytes);
    await assert.rejects(start(t, dir), (err: unknown) => {
      assert.ok(err instanceof JournalIntegrityError, String(err));
      assert.deepEqual([err.code, err.seq, err.offset], ['JOURNAL_CORRUPT_RECORD', 5, last]);
      assert.match(err.message, /corrupt record at offset \d+ \(seq 5\)/);
      return true;
    });
    assert.deepEqual(await readFile(seg.path), seg.bytes, 'the acknowledged record is still on disk');
  });

  it('an edited record with its CRC recomputed refuses the start (JOURNAL_CHAIN_BROKEN)', async (t) => {
    const dir = await tempDir(t);
    await acknowledged(t, dir, 5);
    const seg = await segment(dir);
    editWithCrc(seg.bytes, seg.offsets[2]!);
    await writeFile(seg.path, seg.bytes);
    await assert.rejects(start(t, dir), (err: unknown) => {
      assert.ok(err instanceof JournalIntegrityError, String(err));
      assert.deepEqual([err.code, err.seq, err.offset], ['JOURNAL_CHAIN_BROKEN', 3, seg.offsets[2]]);
      assert.match(err.message, /JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1/);
      return true;
    });
  });

  it('JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN=1 starts anyway, logs the break and checks the chain after it', async (t) => {
    const dir = await tempDir(t);
    await acknowledged(t, dir, 6);
    const seg = await segment(dir);
    editWithCrc(seg.bytes, seg.offsets[1]!);
    editWithCrc(seg.bytes, seg.offsets[4]!);
    await writeFile(seg.path, seg.bytes);
    const { svc, lines } = await start(t, dir, { JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: '1' });
    assert.deepEqual([svc.recovery.chainVerified, svc.recovery.chainBreaks, svc.recovery.lastSeq], [true, 2, 6]);
    const breaks = lines.filter((l) => l.msg.startsWith('journal HMAC chain broken'));
    assert.deepEqual(
      breaks.map((l) => [l.code, l.seq]),
      [
        ['JOURNAL_CHAIN_BROKEN', 2],
        ['JOURNAL_CHAIN_BROKEN', 5],
      ],
    );
    for (let i = 1; i <= 6; i++) assert.ok(svc.book.byClientOrderId('acct-1', `c-${i}`), `c-${i} loaded`);
  });

  it('a torn tail is cut with a log line naming the side file; every acknowledged order stays', async (t) => {
    const dir = await tempDir(t);
    await acknowledged(t, dir, 5);
    const seg = await segment(dir);
    // a sixth write that never completed: the start of a record, cut short
    const partial = seg.bytes.subarray(seg.offsets[4]!, seg.offsets[4]! + 50);
    await writeFile(seg.path, Buffer.concat([seg.bytes, partial]));
    const { svc, lines } = await start(t, dir);
    assert.equal(svc.recovery.tornTail, true);
    for (let i = 1; i <= 5; i++) assert.ok(svc.book.byClientOrderId('acct-1', `c-${i}`), `c-${i}`);
    const line = lines.find((l) => l.msg.startsWith('journal tail truncated'));
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.bytesCut, 50);
    assert.deepEqual(await readFile(String(line.savedTo)), partial, 'the cut bytes are in the side file');
    assert.match(line.msg, /kept in .*\.seg\.torn-\d+-\d+/);
    assert.deepEqual(await readFile(seg.path), seg.bytes, 'the segment is back to its acknowledged records');
  });
});

describe('/v3 shard journal start-up', () => {
  const keys = new Map([['k1', Buffer.from('secret-one')]]);

  function settings(dir: string, allowBrokenChain?: boolean): V3JournalSettings {
    return {
      dir,
      keys: [...keys],
      activeKeyId: 'k1',
      fsync: false,
      syncMethod: 'fdatasync',
      maxBatchBytes: 1 << 20,
      maxBatchDelayUs: 0,
      segmentBytes: 1 << 20,
      perfZeroNs: perfZeroNs(),
      failpoint: '',
      ...(allowBrokenChain !== undefined ? { allowBrokenChain } : {}),
    };
  }

  async function shardJournal(dir: string, n: number): Promise<{ path: string; bytes: Buffer; offsets: number[] }> {
    const w = await JournalWriter.open({ dir: shardJournalDir(dir, 0), keys, activeKeyId: 'k1', fsync: false });
    for (let i = 1; i <= n; i++) w.append(7, Buffer.from(`record ${i}`)); // not order batches: counted, not decoded
    await w.close();
    const path = join(shardJournalDir(dir, 0), '00000000000000000001.seg');
    const bytes = await readFile(path);
    const offsets: number[] = [];
    for (let p = SEGMENT_HEADER_BYTES; p < bytes.length; p += getU32(bytes, p)) offsets.push(p);
    return { path, bytes, offsets };
  }

  async function open(dir: string, allow?: boolean) {
    const opened = await JournalSink.open(settings(dir, allow), [0], new Float64Array(8), new Float64Array(1), () => {});
    await opened.sink.close();
    return opened.recovered[0]!;
  }

  it('refuses a corrupt last record and a broken chain with typed errors; allowBrokenChain reports the break', async (t) => {
    const dir = await tempDir(t);
    const j = await shardJournal(dir, 4);
    const corrupt = Buffer.from(j.bytes);
    corrupt[j.offsets[3]! + 30]! ^= 0xff;
    await writeFile(j.path, corrupt);
    await assert.rejects(open(dir), (e: unknown) => e instanceof JournalIntegrityError && e.code === 'JOURNAL_CORRUPT_RECORD' && e.seq === 4);

    const edited = Buffer.from(j.bytes);
    editWithCrc(edited, j.offsets[1]!);
    await writeFile(j.path, edited);
    await assert.rejects(open(dir), (e: unknown) => e instanceof JournalIntegrityError && e.code === 'JOURNAL_CHAIN_BROKEN' && e.seq === 2);
    await assert.rejects(open(dir, false), (e: unknown) => e instanceof JournalIntegrityError && e.code === 'JOURNAL_CHAIN_BROKEN');
    const r = await open(dir, true);
    assert.equal(r.records, 4);
    assert.equal(r.chainBreaks?.length, 1);
    assert.match(r.chainBreaks![0]!, /JOURNAL_CHAIN_BROKEN/);
  });

  it('cuts a torn tail and says where its bytes went', async (t) => {
    const dir = await tempDir(t);
    const j = await shardJournal(dir, 3);
    await truncate(j.path, j.offsets[2]! + 20);
    const r = await open(dir);
    assert.equal(r.tornTail, true);
    assert.equal(r.records, 2);
    assert.ok(r.tornTailSavedTo !== undefined);
    assert.deepEqual(await readFile(r.tornTailSavedTo), j.bytes.subarray(j.offsets[2]!, j.offsets[2]! + 20));
  });
});

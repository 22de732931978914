/**
 * Sealing (chain hashes and CRCs filled in after the fact) gives byte for byte what the writer
 * produces when it seals as it appends, and a writer whose I/O thread seals writes a journal
 * that verifies, across segment rotations, a key rotation and batches too large for the
 * thread's buffer.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GENESIS_HASH, KeyRing, segmentName, SEGMENT_HEADER_BYTES } from '../../../src/journal/format.js';
import { startIoThread } from '../../../src/journal/io-thread.js';
import { sealRecords } from '../../../src/journal/seal.js';
import { readAnchor, verifyJournal } from '../../../src/journal/verify.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { KEYS, payloadFor, tempDir } from './helpers.js';

describe('record sealing', () => {
  it('reseals a written segment to the same bytes', async (t) => {
    const dir = await tempDir(t);
    const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', fsync: false });
    for (let i = 1; i <= 40; i++) {
      if (i === 20) w.setActiveKey('k2');
      w.append(i, payloadFor(i, 10 + i * 3));
    }
    await w.close();
    const good = await readFile(join(dir, segmentName(1)));
    const blank = Buffer.from(good);
    // wipe every record's hash and CRC, and the header's link and CRC
    blank.fill(0, 24, SEGMENT_HEADER_BYTES);
    good.copy(blank, 0, 0, 24);
    for (let p = SEGMENT_HEADER_BYTES; p < blank.length; ) {
      const total = blank.readUInt32LE(p);
      blank.fill(0, p + total - 36, p + total);
      p += total;
    }
    const last = sealRecords(blank, 0, blank.length, new KeyRing(KEYS), GENESIS_HASH, true);
    assert.ok(blank.equals(good), 'same bytes');
    assert.ok(last.equals(good.subarray(good.length - 36, good.length - 4)), 'returns the last hash');
  });

  it('refuses bytes that are not whole records, and unknown key ids', () => {
    const ring = new KeyRing(KEYS);
    assert.throws(() => sealRecords(Buffer.alloc(10), 0, 10, ring, GENESIS_HASH, false), /whole record/);
    assert.throws(() => sealRecords(Buffer.alloc(100), 0, 100, new KeyRing({ other: Buffer.from('x') }), GENESIS_HASH, false), /whole record|unknown key/);
  });

  it('keys added while the I/O thread seals reach it; a known id keeps its secret', async (t) => {
    const dir = await tempDir(t);
    const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', syncMethod: 'dsync', io: startIoThread(64 * 1024, KEYS) });
    await w.append(1, payloadFor(1)).durable;
    w.append(1, payloadFor(2)); // pending while the key changes: chained with k1
    const k3 = Buffer.from('third-secret');
    w.setActiveKey('k3', k3);
    await w.append(1, payloadFor(3)).durable;
    assert.throws(() => w.setActiveKey('k1', Buffer.from('another')), RangeError);
    w.setActiveKey('k2', KEYS.k2); // the same secret again: fine
    await w.append(1, payloadFor(4)).durable;
    await w.close();
    const all = { ...KEYS, k3 };
    assert.deepEqual(await verifyJournal(dir, all), { ok: true, checked: 4, lastSeq: 4, error: null });
  });

  it('a writer whose I/O thread seals writes a journal that verifies', async (t) => {
    const dir = await tempDir(t);
    // a 16 KiB job block: the 40 KB records take the thread-pool path
    const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 8192, syncMethod: 'dsync', io: startIoThread(16 * 1024, KEYS) });
    let last: Promise<void> | null = null;
    for (let i = 1; i <= 300; i++) {
      if (i === 150) w.setActiveKey('k2');
      last = w.append(1, payloadFor(i, i % 11 === 0 ? 40_000 : 30 + (i % 200))).durable;
      if (i % 23 === 0) await last;
    }
    await last;
    const anchor = w.anchor();
    await w.close();
    assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 300, lastSeq: 300, error: null });
    assert.deepEqual(await readAnchor(dir), anchor);
    // and a writer reopening it (sealing itself) continues the chain
    const again = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k2', fsync: false });
    again.append(2, payloadFor(301));
    await again.close();
    assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 301, lastSeq: 301, error: null });
  });
});

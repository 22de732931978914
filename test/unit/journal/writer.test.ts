import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalWriter } from '../../../src/journal/writer.js';
import { type BatchInfo } from '../../../src/journal/writer-options.js';
import { replayJournal } from '../../../src/journal/reader.js';
import { verifyJournal } from '../../../src/journal/verify.js';
import { listSegments } from '../../../src/journal/segments.js';
import { JournalClosedError, JournalFailedError } from '../../../src/journal/errors.js';
import { HASH_BYTES, SEGMENT_HEADER_BYTES, decodeSegmentHeader } from '../../../src/journal/format.js';
import { HeldSync, KEYS, ioError, payloadFor, tempDir, track, turns } from './helpers.js';

const REC = 64 + 2 + 100; // record size with key id "k1"/"k2" and a 100-byte payload

test('append + replay round trip across segment rotation', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 2048, maxBatchDelayUs: 0 });
  const durables: Promise<void>[] = [];
  for (let i = 1; i <= 200; i++) {
    const r = w.append(i % 7, payloadFor(i), 1_700_000_000_000 + i);
    assert.equal(r.seq, i);
    durables.push(r.durable);
  }
  await Promise.all(durables);
  assert.equal(w.lastDurableSeq, 200);
  await w.close();

  const segs = await listSegments(dir);
  assert.ok(segs.length > 5, `expected several segments, got ${segs.length}`);
  for (const s of segs) {
    const size = fs.statSync(s.path).size;
    assert.ok(size <= 2048, `${s.name} is ${size} bytes`);
  }

  const seen: number[] = [];
  const res = await replayJournal(dir, (rec) => {
    seen.push(rec.seq);
    assert.equal(rec.type, rec.seq % 7);
    assert.equal(rec.atMs, 1_700_000_000_000 + rec.seq);
    assert.equal(rec.keyId, 'k1');
    assert.deepEqual(rec.payload, payloadFor(rec.seq));
  });
  assert.equal(res.records, 200);
  assert.equal(res.lastSeq, 200);
  assert.equal(res.tornTail, null);
  assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i + 1));

  const v = await verifyJournal(dir, KEYS);
  assert.deepEqual(v, { ok: true, checked: 200, lastSeq: 200, error: null });
});

test('a new segment header links to the hash of the previous segment\'s last record', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 1024, maxBatchDelayUs: 0 });
  for (let i = 1; i <= 20; i++) w.append(1, payloadFor(i));
  await w.close();
  const segs = await listSegments(dir);
  assert.ok(segs.length >= 2);
  for (let i = 1; i < segs.length; i++) {
    const prev = await readFile(segs[i - 1].path);
    const cur = await readFile(segs[i].path);
    const header = decodeSegmentHeader(cur);
    assert.ok(header !== null);
    assert.equal(header.firstSeq, segs[i].firstSeq);
    const lastHash = prev.subarray(prev.length - 4 - HASH_BYTES, prev.length - 4);
    assert.deepEqual(header.prevHash, lastHash);
  }
});

test('group commit: appends made while a sync is in flight share the next sync', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const batches: BatchInfo[] = [];
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    maxBatchDelayUs: 0,
    io: held.io,
    onBatch: (b) => batches.push(b),
  });
  const first = w.append(1, payloadFor(1));
  await held.nextCall(); // batch 1 is written and its sync is held

  const rest = [];
  for (let i = 2; i <= 100; i++) rest.push(w.append(1, payloadFor(i)));
  assert.equal(w.stats().pendingRecords, 100);
  held.release();
  await first.durable;
  await held.nextCall(); // batch 2 holds records 2..100
  held.release();
  await Promise.all(rest.map((r) => r.durable));

  assert.equal(held.calls, 2);
  assert.equal(w.stats().batches, 2);
  assert.ok(w.stats().batches < 100);
  assert.deepEqual(
    batches.map((b) => [b.records, b.firstSeq, b.lastSeq]),
    [
      [1, 1, 1],
      [99, 2, 100],
    ],
  );
  assert.equal(batches[1].bytes, 99 * REC);
  await w.close();
});

test('many appends before the first sync resolves need far fewer syncs than records', async (t) => {
  const dir = await tempDir(t);
  let syncs = 0;
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    io: {
      fdatasync: (fd, cb) => {
        syncs++;
        fs.fdatasync(fd, cb);
      },
    },
  });
  const all = [];
  for (let i = 1; i <= 1000; i++) all.push(w.append(1, payloadFor(i)).durable);
  await Promise.all(all);
  assert.ok(syncs >= 1 && syncs < 1000, `syncs=${syncs}`);
  assert.equal(w.stats().batches, syncs);
  await w.close();
});

test('a batch is bounded by maxBatchBytes', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const batches: BatchInfo[] = [];
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    maxBatchBytes: 1000,
    maxBatchDelayUs: 0,
    io: held.io,
    onBatch: (b) => batches.push(b),
  });
  const first = w.append(1, payloadFor(0));
  await held.nextCall();
  const rest = [];
  for (let i = 1; i <= 50; i++) rest.push(w.append(1, payloadFor(i)).durable);
  held.release();
  await first.durable;
  // 50 records of 166 bytes, sealed once a batch reaches 1000 bytes: 7 per batch -> 8 batches.
  for (let i = 0; i < 8; i++) {
    await held.nextCall();
    held.release();
  }
  await Promise.all(rest);
  assert.equal(batches.length, 9);
  for (const b of batches) assert.ok(b.bytes < 1000 + REC, `batch of ${b.bytes} bytes`);
  assert.equal(
    batches.reduce((n, b) => n + b.records, 0),
    51,
  );
  await w.close();
});

test('durable resolves only after the fdatasync covering the record returns', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', io: held.io });
  assert.equal(w.durableMode, 'fdatasync');
  const r = w.append(3, payloadFor(1));
  const s = track(r.durable);
  await held.nextCall();
  await turns(5);
  assert.equal(s.settled, false, 'durable settled while its sync was still held');
  assert.equal(w.lastDurableSeq, 0);
  assert.equal(w.stats().pendingRecords, 1);
  held.release();
  await r.durable;
  assert.equal(w.lastDurableSeq, 1);
  assert.equal(w.stats().pendingRecords, 0);
  assert.equal(w.anchor()?.seq, 1);
  await w.close();
});

test('a write error fails the batch and every later append', async (t) => {
  const dir = await tempDir(t);
  let failWrites = false;
  const failures: Error[] = [];
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    onFailed: (e) => failures.push(e),
    io: {
      writev: (fd, bufs, pos, cb) => {
        if (failWrites) return cb(ioError('ENOSPC'), 0);
        fs.writev(fd, bufs, pos, (err, n) => cb(err, n));
      },
    },
  });
  await w.append(1, payloadFor(1)).durable;
  failWrites = true;
  const a = w.append(1, payloadFor(2));
  const b = w.append(1, payloadFor(3));
  assert.equal(a.durable, b.durable, 'records of one batch share the outcome');
  await assert.rejects(a.durable, /ENOSPC/);
  assert.equal(w.failed, true);
  assert.equal(failures.length, 1);
  assert.throws(() => w.append(1, payloadFor(4)), JournalFailedError);
  assert.equal(w.lastDurableSeq, 1);
  await assert.rejects(w.close(), /ENOSPC/);

  // The journal on disk still holds the acknowledged record and reopens cleanly.
  const w2 = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  assert.equal(w2.lastSeq, 1);
  await w2.close();
});

test('an fdatasync error fails the in-flight batch, the queued batches and later appends', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', maxBatchDelayUs: 0, io: held.io });
  const ok = w.append(1, payloadFor(1));
  await held.nextCall();
  held.release();
  await ok.durable;

  const inFlight = w.append(1, payloadFor(2));
  await held.nextCall();
  const queued = w.append(1, payloadFor(3)); // waits behind the held sync
  const sq = track(queued.durable);
  held.release(ioError('EIO'));
  await assert.rejects(inFlight.durable, (err: NodeJS.ErrnoException) => err.code === 'EIO');
  await assert.rejects(queued.durable, (err: NodeJS.ErrnoException) => err.code === 'EIO');
  assert.equal(sq.settled, true);
  assert.equal(w.lastDurableSeq, 1, 'nothing after the failed sync is reported durable');
  assert.equal(w.stats().failed, true);
  assert.throws(() => w.append(1, payloadFor(4)), (err: Error) => err instanceof JournalFailedError && /EIO/.test(err.message));
  await assert.rejects(w.close());
});

test('fsync off: records resolve after the write and no fdatasync is made', async (t) => {
  const dir = await tempDir(t);
  let syncs = 0;
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    fsync: false,
    io: {
      fdatasync: (fd, cb) => {
        syncs++;
        fs.fdatasync(fd, cb);
      },
    },
  });
  assert.equal(w.durableMode, 'none');
  const rs = [];
  for (let i = 1; i <= 10; i++) rs.push(w.append(1, payloadFor(i)).durable);
  await Promise.all(rs);
  assert.equal(syncs, 0);
  assert.equal(w.lastDurableSeq, 10);
  await w.close();
  const v = await verifyJournal(dir, KEYS);
  assert.equal(v.ok, true);
  assert.equal(v.checked, 10);
});

test('reopen resumes seq and chain hash', async (t) => {
  const dir = await tempDir(t);
  const w1 = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 4096 });
  for (let i = 1; i <= 30; i++) w1.append(1, payloadFor(i));
  await w1.close();
  const anchor1 = w1.anchor();
  assert.equal(anchor1?.seq, 30);

  const w2 = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 4096 });
  assert.equal(w2.lastSeq, 30);
  assert.equal(w2.lastDurableSeq, 30);
  assert.deepEqual(w2.anchor(), anchor1);
  const r = w2.append(1, payloadFor(31));
  assert.equal(r.seq, 31);
  await r.durable;
  await w2.close();

  const v = await verifyJournal(dir, KEYS);
  assert.deepEqual(v, { ok: true, checked: 31, lastSeq: 31, error: null });
});

// The timeout only turns a hang (close waiting out the hour-long delay) into a failure.
test('close flushes pending records regardless of the batch delay; appends after close throw', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', maxBatchDelayUs: 3_600_000_000 });
  const r = w.append(1, payloadFor(1));
  await turns(5);
  assert.equal(w.stats().bytesWritten, 0, 'the batch waits for its delay');
  assert.equal(w.stats().pendingRecords, 1);
  await w.close();
  await r.durable;
  assert.equal(w.lastDurableSeq, 1);
  assert.throws(() => w.append(1, payloadFor(2)), JournalClosedError);
  await w.close(); // idempotent
});

test('key rotation: the active key can change between records', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: { k1: KEYS.k1 }, activeKeyId: 'k1' });
  for (let i = 1; i <= 5; i++) w.append(1, payloadFor(i));
  w.setActiveKey('k2', KEYS.k2);
  assert.equal(w.activeKeyId, 'k2');
  for (let i = 6; i <= 10; i++) w.append(1, payloadFor(i));
  assert.throws(() => w.setActiveKey('nope'), RangeError);
  await w.close();
  assert.equal(w.anchor()?.keyId, 'k2');

  const keyIds: string[] = [];
  await replayJournal(dir, (rec) => {
    keyIds.push(rec.keyId);
  });
  assert.deepEqual(keyIds, ['k1', 'k1', 'k1', 'k1', 'k1', 'k2', 'k2', 'k2', 'k2', 'k2']);
  assert.equal((await verifyJournal(dir, KEYS)).ok, true);

  // A writer needs only its active key: the chain continues from the stored hash.
  const w2 = await JournalWriter.open({ dir, keys: { k2: KEYS.k2 }, activeKeyId: 'k2' });
  await w2.append(1, payloadFor(11)).durable;
  await w2.close();
  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 11, lastSeq: 11, error: null });
});

test('stats report pending records, bytes and age while a sync is held', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', io: held.io });
  const r = w.append(1, payloadFor(1));
  await held.nextCall();
  const s = w.stats();
  assert.equal(s.lastSeq, 1);
  assert.equal(s.lastDurableSeq, 0);
  assert.equal(s.pendingRecords, 1);
  assert.equal(s.pendingBytes, REC);
  assert.ok(s.oldestPendingAgeMs >= 0);
  assert.equal(s.bytesWritten, REC);
  assert.equal(s.segment, '00000000000000000001.seg');
  held.release();
  await r.durable;
  assert.equal(w.stats().pendingBytes, 0);
  assert.equal(w.stats().oldestPendingAgeMs, 0);
  await w.close();
});

test('input validation', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'missing' }), RangeError);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  await assert.rejects(JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' }), /already has an open writer/);
  assert.throws(() => w.append(70000, payloadFor(1)), RangeError);
  assert.throws(() => w.append(-1, payloadFor(1)), RangeError);
  assert.throws(() => w.append(1, payloadFor(1), -5), RangeError);
  assert.throws(() => w.append(1, payloadFor(1), 1.5), RangeError);
  assert.equal(w.lastSeq, 0, 'rejected appends consume no seq');
  await w.append(0xffff, Buffer.alloc(0)).durable;
  await w.close();
  const size = fs.statSync(join(dir, '00000000000000000001.seg')).size;
  assert.equal(size, SEGMENT_HEADER_BYTES + 64 + 2);
});

test('a full batch is written without waiting for the batch delay', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    maxBatchBytes: 10 * REC,
    maxBatchDelayUs: 3_600_000_000,
  });
  const rs = [];
  for (let i = 1; i <= 10; i++) rs.push(w.append(1, payloadFor(i)).durable);
  const eleventh = w.append(1, payloadFor(11));
  await Promise.all(rs);
  assert.equal(w.lastDurableSeq, 10);
  assert.equal(w.stats().pendingRecords, 1, 'the next, partial batch still waits');
  await w.close();
  await eleventh.durable;
});

test('dsync mode (O_DSYNC): a completed write is durable, no fdatasync is called; rotation and reopen work', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const batches: BatchInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', syncMethod: 'dsync', segmentBytes: 2048, maxBatchDelayUs: 0, io: held.io, onBatch: (b) => batches.push(b) });
  const results = [];
  for (let i = 1; i <= 40; i++) results.push(w.append(1, payloadFor(i)));
  await Promise.all(results.map((r) => r.durable));
  assert.equal(held.calls, 0, 'fdatasync is never called');
  assert.equal(w.lastDurableSeq, 40);
  assert.ok(batches.every((b) => b.syncUs > 0), 'the write time is reported as the sync time');
  assert.ok((await listSegments(dir)).length > 1, 'rotated');
  await w.close();
  const again = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', syncMethod: 'dsync' });
  assert.equal(again.lastSeq, 40);
  await again.append(1, payloadFor(41)).durable;
  await again.close();
  const v = await verifyJournal(dir, KEYS);
  assert.equal(v.ok, true);
  assert.equal(v.checked, 41);
});

test('dsync mode: a failing write fails the batch', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    syncMethod: 'dsync',
    maxBatchDelayUs: 0,
    io: { writev: (_fd, _bufs, _pos, cb) => setImmediate(cb, ioError('EIO'), 0) },
  });
  await assert.rejects(w.append(1, payloadFor(1)).durable, /EIO/);
  assert.equal(w.failed, true);
  await assert.rejects(w.close(), /EIO/);
});

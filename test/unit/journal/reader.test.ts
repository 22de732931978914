import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { JournalWriter } from '../../../src/journal/writer.js';
import { readJournal, replayJournal, type JournalRecord } from '../../../src/journal/reader.js';
import { listSegments } from '../../../src/journal/segments.js';
import { JournalIntegrityError } from '../../../src/journal/errors.js';
import { SEGMENT_HEADER_BYTES } from '../../../src/journal/format.js';
import { putU32 } from '@switchyard/protocol';
import { crc32c } from '../../../src/journal/crc32c.js';
import { KEYS, payloadFor, tempDir } from './helpers.js';

/** Mixed sizes, including records larger than the 64 KiB minimum read chunk. */
function sizeOf(i: number): number {
  if (i % 17 === 0) return 150_000;
  if (i % 5 === 0) return 9_000;
  return 10 + (i % 300);
}

async function mixedJournal(dir: string, n: number): Promise<void> {
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 256 * 1024 });
  for (let i = 1; i <= n; i++) {
    if (i === n / 2) w.setActiveKey('k2');
    w.append(i & 0xffff, payloadFor(i, sizeOf(i)), 1_600_000_000_000 + i);
  }
  await w.close();
}

test('replay with the default read size: a segment larger than the small first read', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', fsync: false });
  const n = 3000;
  for (let i = 1; i <= n; i++) w.append(7, payloadFor(i, 200 + (i % 700)), 1_600_000_000_000 + i);
  await w.close();
  assert.equal((await listSegments(dir)).length, 1);
  let seen = 0;
  const res = await replayJournal(dir, (rec) => {
    seen++;
    assert.equal(rec.seq, seen);
    assert.ok(rec.payload.equals(payloadFor(seen, 200 + (seen % 700))), `payload of ${seen}`);
  });
  assert.deepEqual([res.records, seen, res.tornTail], [n, n, null]);
});

test('replay handles records spanning read chunks and segments', async (t) => {
  const dir = await tempDir(t);
  await mixedJournal(dir, 200);
  assert.ok((await listSegments(dir)).length > 3);
  for (const chunkBytes of [64 * 1024, 100_000, 8 * 1024 * 1024]) {
    let n = 0;
    const res = await replayJournal(
      dir,
      (rec) => {
        n++;
        assert.equal(rec.seq, n);
        assert.equal(rec.type, n & 0xffff);
        assert.equal(rec.atMs, 1_600_000_000_000 + n);
        assert.equal(rec.keyId, n < 100 ? 'k1' : 'k2');
        assert.ok(rec.payload.equals(payloadFor(n, sizeOf(n))), `payload of ${n} (chunk ${chunkBytes})`);
      },
      { chunkBytes, verifyChain: true, keys: KEYS },
    );
    assert.equal(res.records, 200);
    assert.equal(n, 200);
  }
});

test('fromSeq / toSeq / early stop', async (t) => {
  const dir = await tempDir(t);
  await mixedJournal(dir, 120);
  const seqs: number[] = [];
  const res = await replayJournal(dir, (r) => void seqs.push(r.seq), { fromSeq: 57, toSeq: 63 });
  assert.deepEqual(seqs, [57, 58, 59, 60, 61, 62, 63]);
  assert.equal(res.stopped, true);
  assert.equal(res.lastSeq, 63);

  const first3: number[] = [];
  const r2 = await replayJournal(dir, (r) => {
    first3.push(r.seq);
    return first3.length < 3;
  }, { fromSeq: 100 });
  assert.deepEqual(first3, [100, 101, 102]);
  assert.equal(r2.records, 3);

  // Chain verification from the middle of the journal seeds from the stored hashes.
  const r3 = await replayJournal(dir, () => {}, { fromSeq: 90, verifyChain: true, keys: KEYS });
  assert.equal(r3.records, 31);
});

test('payload views stay valid after the callback returns', async (t) => {
  const dir = await tempDir(t);
  await mixedJournal(dir, 60);
  const kept: Buffer[] = [];
  await replayJournal(dir, (rec) => void kept.push(rec.payload), { chunkBytes: 64 * 1024 });
  kept.forEach((p, i) => assert.ok(p.equals(payloadFor(i + 1, sizeOf(i + 1))), `payload ${i + 1}`));
});

test('readJournal yields fresh records, supports early exit, and throws on damage', async (t) => {
  const dir = await tempDir(t);
  await mixedJournal(dir, 80);
  const all: JournalRecord[] = [];
  for await (const rec of readJournal(dir, { chunkBytes: 64 * 1024 })) all.push(rec);
  assert.equal(all.length, 80);
  assert.deepEqual(all.map((r) => r.seq), Array.from({ length: 80 }, (_, i) => i + 1));
  assert.ok(all[33].payload.equals(payloadFor(34, sizeOf(34))));
  assert.notEqual(all[0], all[1]);

  const some: number[] = [];
  for await (const rec of readJournal(dir, { fromSeq: 10 })) {
    some.push(rec.seq);
    if (some.length === 4) break;
  }
  assert.deepEqual(some, [10, 11, 12, 13]);

  // Damage the CRC of one record in the first segment: iteration stops there with an error.
  const seg = (await listSegments(dir))[0];
  const bytes = await readFile(seg.path);
  putU32(bytes, SEGMENT_HEADER_BYTES + bytes.readUInt32LE(SEGMENT_HEADER_BYTES) - 4, 0xdeadbeef);
  await writeFile(seg.path, bytes);
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const rec of readJournal(dir)) got.push(rec.seq);
    })(),
    (err: unknown) => err instanceof JournalIntegrityError && err.kind === 'checksum' && err.seq === 1,
  );
  assert.deepEqual(got, []);
  await assert.rejects(replayJournal(dir, () => {}), JournalIntegrityError);
});

test('replay of a torn tail: stop (default) or throw', async (t) => {
  const dir = await tempDir(t);
  await mixedJournal(dir, 20);
  const segs = await listSegments(dir);
  const last = segs[segs.length - 1];
  const bytes = await readFile(last.path);
  await writeFile(last.path, bytes.subarray(0, bytes.length - 3));
  const res = await replayJournal(dir, () => {});
  assert.equal(res.records, 19);
  assert.equal(res.tornTail?.segment, last.name);
  await assert.rejects(replayJournal(dir, () => {}, { tornTail: 'throw' }), (e: unknown) => e instanceof JournalIntegrityError && e.kind === 'torn_tail' && e.seq === 20);
});

test('an empty or missing directory replays nothing', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await replayJournal(`${dir}/none`, () => {}), { records: 0, lastSeq: 0, stopped: false, tornTail: null, segments: 0 });
});

test('the CRC covers the whole record', () => {
  const b = Buffer.from('123456789');
  assert.equal(crc32c(b), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  assert.equal(crc32c(big, 0, 1000), crc32c(big.subarray(500), 0, 500, crc32c(big, 0, 500)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalWriter } from '../../../src/journal/writer.js';
import { type TornTailInfo } from '../../../src/journal/writer-options.js';
import { replayJournal, walkJournal } from '../../../src/journal/reader.js';
import { readAnchor, verifyJournal } from '../../../src/journal/verify.js';
import { listSegments } from '../../../src/journal/segments.js';
import { JournalIntegrityError } from '../../../src/journal/errors.js';
import { SEGMENT_HEADER_BYTES, segmentName } from '../../../src/journal/format.js';
import { KEYS, payloadFor, tempDir } from './helpers.js';

const REC = 64 + 2 + 100;

async function writeRecords(dir: string, from: number, to: number, segmentBytes?: number): Promise<void> {
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes });
  for (let i = from; i <= to; i++) w.append(1, payloadFor(i));
  await w.close();
}

test('torn tail: a record cut mid-way is truncated on open, seq resumes and the chain continues', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 10);
  const seg = join(dir, segmentName(1));
  const full = (await stat(seg)).size;
  assert.equal(full, SEGMENT_HEADER_BYTES + 10 * REC);
  await truncate(seg, full - 40); // the last record loses its last 40 bytes
  const cut = (await readFile(seg)).subarray(SEGMENT_HEADER_BYTES + 9 * REC);

  const before = await verifyJournal(dir, KEYS);
  assert.equal(before.ok, false);
  assert.equal(before.error?.kind, 'torn_tail');
  assert.equal(before.error?.seq, 10);
  assert.equal(before.error?.offset, SEGMENT_HEADER_BYTES + 9 * REC);
  assert.equal(before.checked, 9);
  const replayed = await replayJournal(dir, () => {});
  assert.equal(replayed.records, 9);
  assert.deepEqual(replayed.tornTail, { segment: segmentName(1), offset: SEGMENT_HEADER_BYTES + 9 * REC, bytes: REC - 40 });

  const torn: TornTailInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', onTornTail: (i) => torn.push(i) });
  const savedTo = torn[0]?.savedTo ?? '';
  assert.deepEqual(torn, [
    { segment: segmentName(1), offset: SEGMENT_HEADER_BYTES + 9 * REC, bytesCut: REC - 40, removedSegment: false, lastSeq: 9, savedTo },
  ]);
  assert.match(savedTo, new RegExp(`${segmentName(1)}\\.torn-${SEGMENT_HEADER_BYTES + 9 * REC}-\\d+$`));
  assert.deepEqual(await readFile(savedTo), cut, 'the cut bytes are kept in the side file');
  assert.equal(w.lastSeq, 9);
  assert.equal((await stat(seg)).size, SEGMENT_HEADER_BYTES + 9 * REC);
  const r = w.append(2, payloadFor(1000));
  assert.equal(r.seq, 10);
  await r.durable;
  w.append(2, payloadFor(1001));
  await w.close();

  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 11, lastSeq: 11, error: null });
  const payloads: number[] = [];
  await replayJournal(dir, (rec) => {
    payloads.push(rec.payload.readUInt32LE(0));
  });
  assert.deepEqual(payloads, [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 1001]);
});

test('torn tail: garbage after the last record (partially persisted write) is cut', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 5);
  const seg = join(dir, segmentName(1));
  await appendFile(seg, Buffer.alloc(300)); // zeros: a size update that outran the data
  const torn: TornTailInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', onTornTail: (i) => torn.push(i) });
  assert.equal(torn.length, 1);
  assert.equal(torn[0].bytesCut, 300);
  assert.equal(w.lastSeq, 5);
  await w.append(1, payloadFor(6)).durable;
  await w.close();
  assert.equal((await verifyJournal(dir, KEYS)).ok, true);
});

test('torn segment creation: a new segment whose header never made it is removed', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 30, 2048);
  const segs = await listSegments(dir);
  const last = segs[segs.length - 1];
  const anchorBefore = await readAnchor(dir);
  // Simulate a crash while the next segment was being created.
  const next = join(dir, segmentName(31));
  await writeFile(next, Buffer.from([0x53, 0x57, 0x4a]));

  const torn: TornTailInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 2048, onTornTail: (i) => torn.push(i) });
  const savedTo = torn[0]?.savedTo ?? '';
  assert.deepEqual(torn, [{ segment: segmentName(31), offset: 0, bytesCut: 3, removedSegment: true, lastSeq: 30, savedTo }]);
  assert.deepEqual(await readFile(savedTo), Buffer.from([0x53, 0x57, 0x4a]), 'the torn segment file was moved aside, not deleted');
  assert.equal(w.lastSeq, 30);
  assert.equal(w.stats().segment, last.name);
  assert.deepEqual(w.anchor(), anchorBefore);
  for (let i = 31; i <= 40; i++) w.append(1, payloadFor(i));
  await w.close();
  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 40, lastSeq: 40, error: null });
});

test('a newest segment left with only its header resumes from the header link', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 30, 2048);
  const segs = await listSegments(dir);
  const last = segs[segs.length - 1];
  await truncate(last.path, SEGMENT_HEADER_BYTES + 10); // header + 10 bytes of its first record
  const anchor = await readAnchor(dir); // walks back to the previous segment
  assert.equal(anchor?.seq, last.firstSeq - 1);

  const torn: TornTailInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 2048, onTornTail: (i) => torn.push(i) });
  assert.equal(torn[0]?.bytesCut, 10);
  assert.equal(w.lastSeq, last.firstSeq - 1);
  assert.deepEqual(w.anchor(), anchor);
  const r = w.append(1, payloadFor(99));
  assert.equal(r.seq, last.firstSeq);
  await w.close();
  assert.equal(w.stats().segment, last.name);
  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: last.firstSeq, lastSeq: last.firstSeq, error: null });
});

test('damage before the end of the newest segment is not mistaken for a torn tail', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 10);
  const seg = join(dir, segmentName(1));
  const bytes = await readFile(seg);
  const off = SEGMENT_HEADER_BYTES + 4 * REC + 50; // inside record 5
  bytes[off] ^= 0xff;
  await writeFile(seg, bytes);

  await assert.rejects(
    JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' }),
    (err: unknown) =>
      err instanceof JournalIntegrityError &&
      err.kind === 'checksum' &&
      err.seq === 5 &&
      err.offset === SEGMENT_HEADER_BYTES + 4 * REC,
  );
  assert.equal((await stat(seg)).size, bytes.length, 'nothing was truncated');
  // The refused open released the directory: a later open (after repair) is possible.
  bytes[off] ^= 0xff;
  await writeFile(seg, bytes);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  assert.equal(w.lastSeq, 10);
  await w.close();
});

test('an empty directory starts at seq 1 with a fresh segment', async (t) => {
  const dir = join(await tempDir(t), 'nested', 'journal');
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  assert.equal(w.lastSeq, 0);
  assert.equal(w.anchor(), null);
  await w.close();
  assert.equal(await readAnchor(dir), null);
  const segs = await listSegments(dir);
  assert.deepEqual(segs.map((s) => s.name), [segmentName(1)]);
  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 0, lastSeq: 0, error: null });
});

test('a writer opened with the tail of a replay matches one that reads the segment itself', async (t) => {
  for (const torn of [false, true]) {
    const dirA = await tempDir(t);
    const dirB = await tempDir(t);
    await writeRecords(dirA, 1, 12);
    if (torn) await appendFile(join(dirA, segmentName(1)), Buffer.alloc(30, 0x5a));
    await writeFile(join(dirB, segmentName(1)), await readFile(join(dirA, segmentName(1)))); // the same journal twice
    const walk = await walkJournal(dirA, () => undefined);
    assert.equal(walk.error, null);
    assert.ok(walk.tail !== null, 'the replay read the newest segment to its end');
    assert.equal(walk.tail.segment, segmentName(1));
    const tornA: TornTailInfo[] = [];
    const tornB: TornTailInfo[] = [];
    const a = await JournalWriter.open({ dir: dirA, keys: KEYS, activeKeyId: 'k1', tail: walk.tail, onTornTail: (i) => tornA.push(i) });
    const b = await JournalWriter.open({ dir: dirB, keys: KEYS, activeKeyId: 'k1', onTornTail: (i) => tornB.push(i) });
    const strip = (xs: TornTailInfo[]) => xs.map(({ savedTo: _s, ...rest }) => rest);
    assert.deepEqual(strip(tornA), strip(tornB), `torn ${torn}`);
    assert.equal(tornA.length, torn ? 1 : 0);
    assert.equal(a.lastSeq, 12);
    assert.deepEqual(a.anchor(), b.anchor());
    for (const w of [a, b]) {
      w.append(3, payloadFor(99), 1_700_000_000_000);
      await w.close();
    }
    assert.deepEqual(await readFile(join(dirA, segmentName(1))), await readFile(join(dirB, segmentName(1))));
    assert.deepEqual(await verifyJournal(dirA, KEYS), { ok: true, checked: 13, lastSeq: 13, error: null });
  }
});

test('a tail naming another segment than the newest is ignored', async (t) => {
  const dir = await tempDir(t);
  await writeRecords(dir, 1, 3);
  const walk = await walkJournal(dir, () => undefined);
  await writeRecords(dir, 4, 6);
  const stale = { ...walk.tail!, segment: 'not-the-newest.seg' };
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', tail: stale });
  assert.equal(w.lastSeq, 6);
  await w.close();
});

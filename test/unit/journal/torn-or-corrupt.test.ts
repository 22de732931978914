/**
 * Opening a journal whose newest segment ends badly: a torn write (an incomplete last record) is
 * cut and its bytes set aside; a complete record that fails its checks refuses the open; a record
 * edited with its CRC recomputed passes the CRC and is caught by the HMAC chain.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c } from '../../../src/journal/crc32c.js';
import { JournalIntegrityError } from '../../../src/journal/errors.js';
import { SEGMENT_HEADER_BYTES, segmentName } from '../../../src/journal/format.js';
import { putU32 } from '@switchyard/protocol';
import { walkJournal } from '../../../src/journal/reader.js';
import { tornWrite } from '../../../src/journal/segments.js';
import { verifyJournal } from '../../../src/journal/verify.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { type TornTailInfo } from '../../../src/journal/writer-options.js';
import { KEYS, payloadFor, tempDir } from './helpers.js';

const PAYLOAD = 600; // records of 666 bytes: each spans a 512-byte sector boundary
const REC = 64 + 2 + PAYLOAD;
const N = 10;
const LAST = SEGMENT_HEADER_BYTES + (N - 1) * REC; // offset of record N

async function journal(dir: string): Promise<Buffer> {
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  for (let i = 1; i <= N; i++) w.append(1, payloadFor(i, PAYLOAD));
  await w.close();
  return readFile(join(dir, segmentName(1)));
}

async function open(dir: string): Promise<{ w: JournalWriter; torn: TornTailInfo[] }> {
  const torn: TornTailInfo[] = [];
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', onTornTail: (i) => torn.push(i) });
  return { w, torn };
}

async function sideFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.torn-'));
}

/** Expects the open to refuse with a corrupt record N at LAST, leaving the file as it was. */
async function refused(dir: string, bytes: Buffer, what: string): Promise<void> {
  await writeFile(join(dir, segmentName(1)), bytes);
  await assert.rejects(JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' }), (err: unknown) => {
    assert.ok(err instanceof JournalIntegrityError, `${what}: ${String(err)}`);
    assert.deepEqual([err.code, err.kind, err.seq, err.segment, err.offset], ['JOURNAL_CORRUPT_RECORD', 'checksum', N, segmentName(1), LAST], what);
    assert.match(err.message, new RegExp(`^JOURNAL_CORRUPT_RECORD: .*${segmentName(1)}.*offset ${LAST}.*seq ${N}`), what);
    return true;
  });
  assert.deepEqual(await readFile(join(dir, segmentName(1))), bytes, `${what}: nothing was cut`);
  assert.deepEqual(await sideFiles(dir), [], `${what}: nothing set aside`);
}

test('a valid journal opens as it is, and its chain verifies', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  const { w, torn } = await open(dir);
  assert.deepEqual([w.lastSeq, torn.length], [N, 0]);
  await w.close();
  assert.deepEqual(await readFile(join(dir, segmentName(1))), bytes);
  const walk = await walkJournal(dir, () => undefined, { verifyChain: true, keys: KEYS });
  assert.deepEqual([walk.error, walk.records], [null, N]);
});

test('torn: the last record cut at any byte is cut off and kept in a side file', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  for (let cut = LAST + 1; cut < LAST + REC; cut += cut < LAST + 40 || cut > LAST + REC - 40 ? 1 : 37) {
    await writeFile(join(dir, segmentName(1)), bytes.subarray(0, cut));
    const { w, torn } = await open(dir);
    assert.equal(w.lastSeq, N - 1, `cut at ${cut}`);
    await w.close();
    assert.equal(torn.length, 1);
    assert.deepEqual([torn[0]!.offset, torn[0]!.bytesCut, torn[0]!.removedSegment], [LAST, cut - LAST, false]);
    assert.deepEqual(await readFile(torn[0]!.savedTo), bytes.subarray(LAST, cut), `cut at ${cut}: the cut bytes are in the side file`);
    assert.equal((await stat(join(dir, segmentName(1)))).size, LAST);
    for (const f of await sideFiles(dir)) await import('node:fs/promises').then((fs) => fs.rm(join(dir, f)));
  }
});

test('torn: zeros where the end of the last write should be (from a sector boundary) are cut', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  // the file has its full size, but the last record's bytes from its first sector boundary on are zero
  const boundary = Math.ceil((LAST + 28) / 512) * 512;
  assert.ok(boundary < LAST + REC);
  const zeroed = Buffer.from(bytes);
  zeroed.fill(0, boundary);
  await writeFile(join(dir, segmentName(1)), zeroed);
  const { w, torn } = await open(dir);
  assert.equal(w.lastSeq, N - 1);
  assert.deepEqual([torn[0]!.offset, torn[0]!.bytesCut], [LAST, REC]);
  assert.deepEqual(await readFile(torn[0]!.savedTo), zeroed.subarray(LAST));
  const r = w.append(1, payloadFor(99, PAYLOAD));
  assert.equal(r.seq, N);
  await w.close();
  assert.deepEqual((await verifyJournal(dir, KEYS)).ok, true, 'the chain goes on after the cut');
});

test('corrupt: one byte changed anywhere in the last complete record refuses the open', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  for (let at = LAST; at < LAST + REC; at++) {
    for (const x of at % 97 === 0 ? [0x01, 0x80, 0xff] : [0xff]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= x;
      await refused(dir, damaged, `byte ${at - LAST} of the last record ^ ${x}`);
    }
  }
});

test('corrupt: a damaged last record followed by a torn write is not cut either', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  const damaged = Buffer.concat([bytes, Buffer.alloc(30, 0x5a)]);
  damaged[LAST + 100]! ^= 0xff;
  await writeFile(join(dir, segmentName(1)), damaged);
  await assert.rejects(JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' }), (err: unknown) => err instanceof JournalIntegrityError && err.code === 'JOURNAL_CORRUPT_RECORD' && err.seq === N);
  assert.deepEqual(await readFile(join(dir, segmentName(1))), damaged);
});

test('edited with its CRC recomputed: the segment scan accepts it, the HMAC chain does not', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  const edited = Buffer.from(bytes);
  const at = SEGMENT_HEADER_BYTES + 4 * REC; // record 5
  edited[at + 28 + 2 + 10]! ^= 0x01; // a payload byte
  putU32(edited, at + REC - 4, crc32c(edited, at, at + REC - 4));
  await writeFile(join(dir, segmentName(1)), edited);

  const { w, torn } = await open(dir);
  assert.deepEqual([w.lastSeq, torn.length], [N, 0], 'framing and CRC are fine');
  await w.close();
  const walk = await walkJournal(dir, () => undefined, { verifyChain: true, keys: KEYS });
  assert.ok(walk.error instanceof JournalIntegrityError);
  assert.deepEqual([walk.error.code, walk.error.kind, walk.error.seq, walk.error.offset, walk.records], ['JOURNAL_CHAIN_BROKEN', 'chain', 5, at, 4]);
  // records before the edit, seeded from a later fromSeq, still verify; the edit is still found
  const from7 = await walkJournal(dir, () => undefined, { verifyChain: true, keys: KEYS, fromSeq: 7 });
  assert.equal(from7.error, null, 'the chain after the edited record verifies (seeded with its stored hash)');
  const from3 = await walkJournal(dir, () => undefined, { verifyChain: true, keys: KEYS, fromSeq: 3 });
  assert.equal(from3.error?.seq, 5);
});

test('tornWrite: the classification rules on raw bytes', () => {
  const rec = Buffer.alloc(200);
  putU32(rec, 0, 200); // totalLen
  rec[22] = 2; // key id length
  rec[23] = 0xa5; // marker
  putU32(rec, 24, 200 - 64 - 2); // payloadLen
  rec.fill(0x33, 28);
  assert.equal(tornWrite(rec.subarray(0, 64), 0), true, 'too short for any complete record');
  assert.equal(tornWrite(Buffer.alloc(300), 0), true, 'zeros only');
  assert.equal(tornWrite(rec.subarray(0, 150), 0), true, 'a consistent header whose record runs past the end of the file');
  assert.equal(tornWrite(rec, 0), false, 'complete: a checksum failure here is corruption');
  const zeroTail = Buffer.from(rec);
  zeroTail.fill(0, 100);
  assert.equal(tornWrite(zeroTail, 412), true, 'zeros from a sector boundary (file offset 512) inside the record');
  assert.equal(tornWrite(zeroTail, 0), false, 'the same zeros with no sector boundary among them (file offsets 100-199)');
  const lastByte = Buffer.from(rec);
  lastByte[199] = 0;
  assert.equal(tornWrite(lastByte, 512 - 199), false, 'one zero byte at the end is a damaged byte, not a lost sector');
  const badHeader = Buffer.from(rec);
  badHeader[23] = 0; // marker gone
  assert.equal(tornWrite(badHeader, 0), false, 'an inconsistent header with data after it is corruption');
  const cutHeader = Buffer.from(badHeader);
  cutHeader.fill(0, 20);
  assert.equal(tornWrite(cutHeader, 492), true, 'a header cut by zeros from a sector boundary');
});

test('the torn-tail side file survives a second crash of the same kind', async (t) => {
  const dir = await tempDir(t);
  const bytes = await journal(dir);
  await truncate(join(dir, segmentName(1)), LAST + 10);
  await (await open(dir)).w.close();
  const w = (await open(dir)).w; // nothing more to cut
  await w.close();
  const files = await sideFiles(dir);
  assert.equal(files.length, 1);
  assert.deepEqual(await readFile(join(dir, files[0]!)), bytes.subarray(LAST, LAST + 10));
});

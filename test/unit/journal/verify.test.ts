import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JournalWriter } from '../../../src/journal/writer.js';
import { readAnchor, verifyJournal } from '../../../src/journal/verify.js';
import { listSegments, type SegmentInfo } from '../../../src/journal/segments.js';
import { crc32c } from '../../../src/journal/crc32c.js';
import { SEGMENT_HEADER_BYTES } from '../../../src/journal/format.js';
import { putU32 } from '@switchyard/protocol';
import { KEYS, payloadFor, tempDir } from './helpers.js';

const REC = 64 + 2 + 100;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Writes `n` equal-sized records into several segments; returns the segments. */
async function journal(dir: string, n: number, segmentBytes = 2048): Promise<SegmentInfo[]> {
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes });
  for (let i = 1; i <= n; i++) w.append(1, payloadFor(i));
  await w.close();
  return listSegments(dir);
}

/** Segment and in-file offset of record `seq` (all records REC bytes long). */
function locate(segs: SegmentInfo[], seq: number): { seg: SegmentInfo; offset: number } {
  let seg = segs[0];
  for (const s of segs) if (s.firstSeq <= seq) seg = s;
  return { seg, offset: SEGMENT_HEADER_BYTES + (seq - seg.firstSeq) * REC };
}

test('a flipped byte in the middle is reported as checksum with seq, segment and offset', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 100);
  assert.ok(segs.length >= 4);
  const target = 47;
  const { seg, offset } = locate(segs, target);
  assert.notEqual(seg, segs[segs.length - 1], 'the damaged segment is not the newest one');
  const bytes = await readFile(seg.path);
  bytes[offset + 28 + 2 + 10] ^= 0x01; // a payload byte
  await writeFile(seg.path, bytes);

  const v = await verifyJournal(dir, KEYS);
  assert.equal(v.ok, false);
  assert.equal(v.lastSeq, target - 1);
  assert.equal(v.checked, target - 1);
  assert.deepEqual(
    { kind: v.error?.kind, seq: v.error?.seq, segment: v.error?.segment, offset: v.error?.offset },
    { kind: 'checksum', seq: target, segment: seg.name, offset },
  );
  assert.match(v.error!.message, new RegExp(`${seg.name}.*offset ${offset}`));
});

test('a flipped length byte is also located precisely', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 100);
  const { seg, offset } = locate(segs, 30);
  const bytes = await readFile(seg.path);
  bytes[offset + 1] ^= 0x40; // total length field
  await writeFile(seg.path, bytes);
  const v = await verifyJournal(dir, KEYS);
  assert.deepEqual([v.error?.kind, v.error?.seq, v.error?.segment, v.error?.offset], ['checksum', 30, seg.name, offset]);
});

test('tampering with a recomputed checksum breaks the chain', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 100);
  const target = 61;
  const { seg, offset } = locate(segs, target);
  const bytes = await readFile(seg.path);
  bytes[offset + 28 + 2 + 20] ^= 0x55; // change the payload...
  putU32(bytes, offset + REC - 4, crc32c(bytes, offset, offset + REC - 4)); // ...and fix up the CRC
  await writeFile(seg.path, bytes);

  const v = await verifyJournal(dir, KEYS);
  assert.equal(v.ok, false);
  assert.deepEqual(
    { kind: v.error?.kind, seq: v.error?.seq, segment: v.error?.segment, offset: v.error?.offset },
    { kind: 'chain', seq: target, segment: seg.name, offset },
  );
  assert.equal(v.lastSeq, target - 1);
});

test('tampering with a segment header prevHash breaks the chain at the segment boundary', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 50);
  const seg = segs[2];
  const bytes = await readFile(seg.path);
  bytes[30] ^= 1; // inside prevHash
  putU32(bytes, 60, crc32c(bytes, 0, 60));
  await writeFile(seg.path, bytes);
  const v = await verifyJournal(dir, KEYS);
  assert.deepEqual([v.error?.kind, v.error?.seq, v.error?.segment, v.error?.offset], ['chain', seg.firstSeq, seg.name, 0]);
});

test('a missing segment is a gap', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 60);
  await rename(segs[1].path, join(dir, 'moved-away'));
  const v = await verifyJournal(dir, KEYS);
  assert.equal(v.ok, false);
  assert.equal(v.error?.kind, 'gap');
  assert.equal(v.error?.seq, segs[1].firstSeq);
  assert.equal(v.error?.segment, segs[2].name);
  assert.equal(v.lastSeq, segs[1].firstSeq - 1);
});

test('key rotation: both keys verify; a missing key is unknown_key; a wrong key is chain', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1' });
  for (let i = 1; i <= 5; i++) w.append(1, payloadFor(i));
  w.setActiveKey('k2');
  for (let i = 6; i <= 10; i++) w.append(1, payloadFor(i));
  await w.close();

  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 10, lastSeq: 10, error: null });
  assert.deepEqual(await verifyJournal(dir, new Map(Object.entries(KEYS))), { ok: true, checked: 10, lastSeq: 10, error: null });

  const missing = await verifyJournal(dir, { k1: KEYS.k1 });
  assert.equal(missing.ok, false);
  assert.deepEqual(
    [missing.error?.kind, missing.error?.seq, missing.error?.offset, missing.lastSeq],
    ['unknown_key', 6, SEGMENT_HEADER_BYTES + 5 * REC, 5],
  );
  assert.match(missing.error!.message, /"k2"/);

  const wrong = await verifyJournal(dir, { k1: KEYS.k1, k2: Buffer.from('not-the-key') });
  assert.deepEqual([wrong.error?.kind, wrong.error?.seq], ['chain', 6]);
});

test('fromSeq and limit select the range; earlier records only seed the chain', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 100);
  assert.deepEqual(await verifyJournal(dir, KEYS, { fromSeq: 40, limit: 25 }), { ok: true, checked: 25, lastSeq: 64, error: null });
  assert.deepEqual(await verifyJournal(dir, KEYS, { fromSeq: 95 }), { ok: true, checked: 6, lastSeq: 100, error: null });
  assert.deepEqual(await verifyJournal(dir, KEYS, { untilSeq: 10 }), { ok: true, checked: 10, lastSeq: 10, error: null });
  assert.deepEqual(await verifyJournal(dir, KEYS, { fromSeq: 500 }), { ok: true, checked: 0, lastSeq: 0, error: null });

  // Damage in a segment wholly before fromSeq is outside the range and not read at all; a
  // range that covers it reports it.
  const { seg, offset } = locate(segs, 20);
  const bytes = await readFile(seg.path);
  bytes[offset + 40] ^= 1;
  await writeFile(seg.path, bytes);
  const later = locate(segs, 90).seg;
  assert.notEqual(later, seg);
  assert.equal((await verifyJournal(dir, KEYS, { fromSeq: later.firstSeq })).ok, true);
  assert.equal((await verifyJournal(dir, KEYS, { fromSeq: 1 })).error?.seq, 20);
});

test('readAnchor returns the last record on disk', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k2', segmentBytes: 2048 });
  for (let i = 1; i <= 33; i++) w.append(1, payloadFor(i), 1_700_000_000_000 + i);
  await w.close();
  const a = await readAnchor(dir);
  assert.deepEqual(a, w.anchor());
  assert.equal(a?.seq, 33);
  assert.equal(a?.atMs, 1_700_000_000_033);
  assert.equal(a?.keyId, 'k2');
  assert.equal(Buffer.from(a!.hash, 'base64').length, 32);
});

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/journal-verify.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TEST_JOURNAL_KEYS: 'k1:first-secret,k2:base64:' + KEYS.k2.toString('base64') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: JSON verdict and exit status', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 40);
  const keysArg = `k1:first-secret,k2:base64:${KEYS.k2.toString('base64')}`;

  const ok = runCli(['--dir', dir, '--keys', keysArg]);
  assert.equal(ok.status, 0, ok.stderr);
  const okJson = JSON.parse(ok.stdout);
  assert.equal(okJson.ok, true);
  assert.equal(okJson.checked, 40);
  assert.equal(okJson.anchor.seq, 40);

  const viaEnv = runCli(['--dir', dir, '--keys-env', 'TEST_JOURNAL_KEYS', '--from-seq', '10', '--limit', '5']);
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).lastSeq, 14);

  const { seg, offset } = locate(segs, 12);
  const bytes = await readFile(seg.path);
  bytes[offset + 33] ^= 0x80;
  await writeFile(seg.path, bytes);
  const bad = runCli(['--dir', dir, '--keys', keysArg]);
  assert.equal(bad.status, 1);
  const badJson = JSON.parse(bad.stdout);
  assert.equal(badJson.ok, false);
  assert.deepEqual([badJson.error.kind, badJson.error.seq, badJson.error.segment, badJson.error.offset], ['checksum', 12, seg.name, offset]);

  const usage = runCli(['--dir', dir]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage/);
  const badKeys = runCli(['--dir', dir, '--keys', 'nocolon']);
  assert.equal(badKeys.status, 2);
  assert.doesNotMatch(badKeys.stderr, /nocolon/);
});

test('the first segment must start from the genesis hash', async (t) => {
  const dir = await tempDir(t);
  const segs = await journal(dir, 5);
  const bytes = await readFile(segs[0].path);
  bytes[24] = 1;
  putU32(bytes, 60, crc32c(bytes, 0, 60));
  await writeFile(segs[0].path, bytes);
  const v = await verifyJournal(dir, KEYS);
  assert.deepEqual([v.error?.kind, v.error?.seq, v.error?.offset], ['chain', 1, 0]);
});

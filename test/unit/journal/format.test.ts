import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalWriter } from '../../../src/journal/writer.js';
import { crc32c } from '../../../src/journal/crc32c.js';
import { parseKeySpec } from '../../../src/lib/key-spec.js';
import { parseSegmentName, segmentName } from '../../../src/journal/format.js';
import { tempDir } from './helpers.js';

// Pins the byte layout documented in docs/journal.md.
test('on-disk layout of a segment header and two records', async (t) => {
  const dir = await tempDir(t);
  const key = Buffer.from('layout-key');
  const w = await JournalWriter.open({ dir, keys: { kA: key }, activeKeyId: 'kA' });
  w.append(7, Buffer.from('abc'), 1_700_000_000_123);
  w.append(0x1234, Buffer.from('hello'), 1_700_000_000_456);
  await w.close();
  const f = await readFile(join(dir, '00000000000000000001.seg'));

  // Segment header
  assert.equal(f.toString('latin1', 0, 4), 'SWJS');
  assert.equal(f.readUInt16LE(4), 1);
  assert.equal(f.readUInt16LE(6), 64);
  assert.equal(f.readBigUInt64LE(8), 1n);
  assert.ok(f.readBigUInt64LE(16) > 0n);
  assert.deepEqual(f.subarray(24, 56), Buffer.alloc(32));
  assert.equal(f.readUInt32LE(56), 0);
  assert.equal(f.readUInt32LE(60), crc32c(f, 0, 60));

  // Record 1 at offset 64: 64 + 2 (key id) + 3 (payload) = 69 bytes
  const r1 = f.subarray(64, 64 + 69);
  assert.equal(r1.readUInt32LE(0), 69);
  assert.equal(r1.readBigUInt64LE(4), 1n);
  assert.equal(r1.readBigUInt64LE(12), 1_700_000_000_123n);
  assert.equal(r1.readUInt16LE(20), 7);
  assert.equal(r1[22], 2);
  assert.equal(r1[23], 0xa5);
  assert.equal(r1.readUInt32LE(24), 3);
  assert.equal(r1.toString('utf8', 28, 30), 'kA');
  assert.equal(r1.toString('utf8', 30, 33), 'abc');
  const h1 = createHmac('sha256', key).update(Buffer.alloc(32)).update(r1.subarray(0, 33)).digest();
  assert.deepEqual(r1.subarray(33, 65), h1);
  assert.equal(r1.readUInt32LE(65), crc32c(r1, 0, 65));

  // Record 2 chains on record 1's hash
  const r2 = f.subarray(64 + 69);
  assert.equal(r2.length, 64 + 2 + 5);
  assert.equal(r2.readBigUInt64LE(4), 2n);
  assert.equal(r2.readUInt16LE(20), 0x1234);
  const h2 = createHmac('sha256', key).update(h1).update(r2.subarray(0, 35)).digest();
  assert.deepEqual(r2.subarray(35, 67), h2);
  assert.equal(r2.readUInt32LE(67), crc32c(r2, 0, 67));
});

test('segment names', () => {
  assert.equal(segmentName(1), '00000000000000000001.seg');
  assert.equal(segmentName(1234567), '00000000000001234567.seg');
  assert.equal(parseSegmentName('00000000000001234567.seg'), 1234567);
  assert.equal(parseSegmentName('1234567.seg'), -1);
  assert.equal(parseSegmentName('00000000000000000000.seg'), -1);
  assert.equal(parseSegmentName('00000000000000000001.seg.tmp'), -1);
});

test('key list parsing (AUDIT_HMAC_KEYS syntax)', () => {
  const keys = parseKeySpec('id1:secret, id2:base64:AAECAw==,id3:with:colon');
  assert.deepEqual([...keys.keys()], ['id1', 'id2', 'id3']);
  assert.deepEqual(keys.get('id1'), Buffer.from('secret'));
  assert.deepEqual(keys.get('id2'), Buffer.from([0, 1, 2, 3]));
  assert.deepEqual(keys.get('id3'), Buffer.from('with:colon'));
  assert.throws(() => parseKeySpec('nocolon'), /id:secret/);
  assert.throws(() => parseKeySpec('a:'), /empty secret/);
  assert.throws(() => parseKeySpec('a:x,a:y'), /twice/);
  assert.throws(() => parseKeySpec('a:base64:***'), /invalid base64/);
  assert.equal(parseKeySpec('').size, 0);
});

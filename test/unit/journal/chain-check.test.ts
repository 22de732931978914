import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { checkChain, checkChainInWorker } from '../../../src/journal/chain-check.js';
import { crc32c } from '../../../src/journal/crc32c.js';
import { SEGMENT_HEADER_BYTES } from '../../../src/journal/format.js';
import { getU32, putU32 } from '@switchyard/protocol';
import { listSegments } from '../../../src/journal/segments.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { KEYS, payloadFor, tempDir } from './helpers.js';

const keys = new Map(Object.entries(KEYS));

test('every chain break of a range is found (records and segment links), in a worker as in this thread', async (t) => {
  const dir = await tempDir(t);
  const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', segmentBytes: 2048 });
  for (let i = 1; i <= 60; i++) w.append(1, payloadFor(i));
  await w.close();
  const segs = await listSegments(dir);
  assert.ok(segs.length >= 4, `${segs.length} segments`);

  const clean = await checkChain(dir, keys, 1, 10);
  assert.deepEqual([clean.total, clean.checked], [0, 60]);

  // 1. a record of the first segment edited, its CRC recomputed
  const first = await readFile(segs[0]!.path);
  const at = SEGMENT_HEADER_BYTES + getU32(first, SEGMENT_HEADER_BYTES); // record 2
  first[at + 40]! ^= 0x01;
  putU32(first, at + getU32(first, at) - 4, crc32c(first, at, at + getU32(first, at) - 4));
  await writeFile(segs[0]!.path, first);
  // 2. the third segment's header linked to another hash, its CRC recomputed
  const third = await readFile(segs[2]!.path);
  third[24]! ^= 0x01;
  putU32(third, 60, crc32c(third, 0, 60));
  await writeFile(segs[2]!.path, third);

  const here = await checkChain(dir, keys, 1, 10);
  assert.deepEqual(
    here.breaks.map((b) => [b.code, b.seq, b.segment, b.offset]),
    [
      ['JOURNAL_CHAIN_BROKEN', 2, segs[0]!.name, at],
      ['JOURNAL_CHAIN_BROKEN', segs[2]!.firstSeq, segs[2]!.name, 0],
    ],
  );
  assert.equal(here.total, 2);
  assert.equal(here.checked, 58, 'every record but the edited one and the first of the relinked segment passed');
  assert.deepEqual(await checkChainInWorker(dir, keys, 1, 10), here);
  const capped = await checkChain(dir, keys, 1, 1);
  assert.deepEqual([capped.breaks.length, capped.total], [1, 2]);
  assert.equal((await checkChain(dir, keys, segs[3]!.firstSeq, 10)).total, 0, 'a range after the breaks is clean');
});

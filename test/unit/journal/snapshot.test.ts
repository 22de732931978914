import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listSnapshots, loadLatestSnapshot, snapshotName, writeSnapshot } from '../../../src/journal/snapshot.js';
import { tempDir } from './helpers.js';

test('the latest snapshot wins and only the newest N are kept', async (t) => {
  const dir = await tempDir(t);
  assert.equal(await loadLatestSnapshot(dir), null);
  await writeSnapshot(dir, 10, Buffer.from('state@10'));
  await writeSnapshot(dir, 30, Buffer.from('state@30'));
  await writeSnapshot(dir, 20, Buffer.from('state@20'));
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, [snapshotName(20), snapshotName(30)], 'no temporary file left, oldest pruned');
  const s = await loadLatestSnapshot(dir);
  assert.equal(s?.seq, 30);
  assert.equal(s?.bytes.toString(), 'state@30');

  await writeSnapshot(dir, 40, new Uint8Array([1, 2, 3]), { keep: 3 });
  assert.deepEqual((await listSnapshots(dir)).map((x) => x.seq), [40, 30, 20]);
  assert.deepEqual((await loadLatestSnapshot(dir))?.bytes, Buffer.from([1, 2, 3]));
});

test('a damaged newest snapshot falls back to the previous one', async (t) => {
  const dir = await tempDir(t);
  await writeSnapshot(dir, 5, Buffer.from('five'));
  await writeSnapshot(dir, 9, Buffer.from('nine'));
  const p = join(dir, snapshotName(9));
  const b = await readFile(p);
  b[b.length - 1] ^= 1;
  await writeFile(p, b);
  const invalid: string[] = [];
  const s = await loadLatestSnapshot(dir, (file, reason) => invalid.push(`${file}: ${reason}`));
  assert.equal(s?.seq, 5);
  assert.equal(s?.bytes.toString(), 'five');
  assert.deepEqual(invalid, [`${snapshotName(9)}: payload checksum mismatch`]);

  await writeFile(p, b.subarray(0, 20)); // truncated
  assert.equal((await loadLatestSnapshot(dir))?.seq, 5);
});

test('leftovers of an interrupted write are ignored and later cleaned up', async (t) => {
  const dir = await tempDir(t);
  await writeSnapshot(dir, 1, Buffer.from('one'));
  // A crash between creating the temporary file and the rename leaves this behind.
  const stale = `.snapshot-${'7'.padStart(20, '0')}.999999999-0-1.tmp`;
  await writeFile(join(dir, stale), Buffer.from('partial'));
  assert.equal((await loadLatestSnapshot(dir))?.seq, 1);
  await writeSnapshot(dir, 2, Buffer.from('two'));
  assert.deepEqual((await readdir(dir)).sort(), [snapshotName(1), snapshotName(2)]);
});

test('empty payloads and seq 0 are allowed; invalid seqs are not', async (t) => {
  const dir = await tempDir(t);
  await writeSnapshot(dir, 0, Buffer.alloc(0));
  const s = await loadLatestSnapshot(dir);
  assert.equal(s?.seq, 0);
  assert.equal(s?.bytes.length, 0);
  await assert.rejects(writeSnapshot(dir, -1, Buffer.alloc(1)), RangeError);
  await assert.rejects(writeSnapshot(dir, 1.5, Buffer.alloc(1)), RangeError);
  assert.equal(await loadLatestSnapshot(join(dir, 'missing')), null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JournalWriter } from '../../../src/journal/writer.js';
import { type BatchInfo } from '../../../src/journal/writer-options.js';
import { HeldSync, KEYS, payloadFor, tempDir, turns } from './helpers.js';

test('maxBatchRecords closes a batch at that many records; the pending getters follow', async (t) => {
  const dir = await tempDir(t);
  const held = new HeldSync();
  const batches: BatchInfo[] = [];
  const w = await JournalWriter.open({
    dir,
    keys: KEYS,
    activeKeyId: 'k1',
    maxBatchRecords: 2,
    maxBatchDelayUs: 0,
    io: held.io,
    onBatch: (b) => batches.push(b),
  });
  const first = w.append(1, payloadFor(1));
  await held.nextCall(); // batch [1] in flight
  const rest = [2, 3, 4, 5, 6].map((i) => w.append(1, payloadFor(i)));
  assert.equal(w.pendingRecords, 6);
  assert.ok(w.pendingBytes > 6 * 100);
  assert.ok(w.oldestPendingAgeMs >= 0);
  while (batches.length < 4) {
    if (held.pending.length > 0) held.release();
    await turns(2);
  }
  await Promise.all([first.durable, ...rest.map((r) => r.durable)]);
  assert.deepEqual(batches.map((b) => b.records), [1, 2, 2, 1]);
  assert.equal(w.pendingRecords, 0);
  assert.equal(w.pendingBytes, 0);
  assert.equal(w.oldestPendingAgeMs, 0);
  assert.equal(w.batches, 4);
  assert.ok(w.bytesWritten > 6 * 100);
  await w.close();
});

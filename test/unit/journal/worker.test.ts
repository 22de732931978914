import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { readAnchor, verifyJournal } from '../../../src/journal/verify.js';
import { KEYS, tempDir } from './helpers.js';

test('a writer owned by a worker thread; the main thread verifies', async (t) => {
  const dir = await tempDir(t);
  // The fixture is TypeScript: the worker registers the same loader the test runner uses.
  const bootstrap =
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\n` +
    `register();\n` +
    `await import(${JSON.stringify(new URL('./worker-fixture.ts', import.meta.url).href)});\n`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), {
    workerData: { dir, count: 300 },
  });
  const [msg] = (await once(worker, 'message')) as [{ lastSeq: number; lastDurableSeq: number; anchor: unknown }];
  await once(worker, 'exit');
  assert.equal(msg.lastSeq, 300);
  assert.equal(msg.lastDurableSeq, 300);
  assert.deepEqual(await readAnchor(dir), msg.anchor);
  assert.deepEqual(await verifyJournal(dir, KEYS), { ok: true, checked: 300, lastSeq: 300, error: null });
});

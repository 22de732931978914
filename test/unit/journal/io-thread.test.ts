/**
 * The journal I/O thread over a real file: writes land where asked, fdatasync runs, errors come
 * back to the caller, a finished write can be completed by poll() without the event loop, large
 * writes go to the thread pool, and a closed thread fails later calls instead of hanging them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startIoThread } from '../../../src/journal/io-thread.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { KEYS, tempDir } from './helpers.js';

function writeAsync(io: ReturnType<typeof startIoThread>, fd: number, bufs: Buffer[], pos: number): Promise<number> {
  return new Promise((res, rej) => io.writev(fd, bufs, pos, (err, n) => (err !== null ? rej(err) : res(n))));
}

/** A fresh file and an I/O thread with a `bytes` job block, both closed when the test ends. */
async function setup(t: TestContext, bytes: number) {
  const file = join(await tempDir(t), 'f');
  const fd = fs.openSync(file, 'w+');
  const io = startIoThread(bytes);
  t.after(async () => {
    await io.close();
    fs.closeSync(fd);
  });
  return { file, fd, io };
}

describe('journal I/O thread', () => {
  it('writes at the given position and syncs', async (t) => {
    const { file, fd, io } = await setup(t, 1024);
    assert.equal(await writeAsync(io, fd, [Buffer.from('hello '), Buffer.from('world')], 0), 11);
    assert.equal(await writeAsync(io, fd, [Buffer.from('W')], 6), 1);
    await new Promise<void>((res, rej) => io.fdatasync(fd, (err) => (err !== null ? rej(err) : res())));
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello World');
  });

  it('completes a finished write from poll(), while the event loop is blocked', async (t) => {
    const { fd, io } = await setup(t, 1024);
    await writeAsync(io, fd, [Buffer.from('warm')], 0); // the thread is up
    let done = -1;
    io.writev(fd, [Buffer.from('abc')], 0, (err, n) => {
      assert.equal(err, null);
      done = n;
    });
    // Never yield: only poll() can deliver the result (the message needs the event loop).
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; done < 0 && i < 100_000; i++) {
      io.poll();
      if (done < 0) Atomics.wait(nap, 0, 0, 1);
    }
    assert.equal(done, 3);
  });

  it('reports I/O errors to the caller and keeps working', async (t) => {
    const { file, fd, io } = await setup(t, 1024);
    const bad = fs.openSync(file, 'r'); // read-only: writes fail with EBADF
    await assert.rejects(writeAsync(io, bad, [Buffer.from('x')], 0), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
    fs.closeSync(bad);
    assert.equal(await writeAsync(io, fd, [Buffer.from('ok')], 0), 2);
  });

  it('sends writes larger than its buffer to the thread pool', async (t) => {
    const { file, fd, io } = await setup(t, 16);
    const big = Buffer.alloc(100, 7);
    assert.equal(await writeAsync(io, fd, [big], 0), 100);
    assert.deepEqual(fs.readFileSync(file), big);
  });

  it('a writer closing while poll() completes its last batch still closes', { timeout: 20_000 }, async (t) => {
    const dir = await tempDir(t);
    const w = await JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', syncMethod: 'dsync', maxBatchDelayUs: 0, io: startIoThread(1 << 20) });
    await w.append(1, Buffer.from('warm')).durable; // the thread is up
    w.append(1, Buffer.from('last'));
    await new Promise((res) => setImmediate(res)); // the batch's write is handed to the thread
    const closed = w.close();
    // Without yielding, only poll() can complete the write (as a request served meanwhile would).
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; w.lastDurableSeq < 2 && i < 100_000; i++) {
      Atomics.wait(nap, 0, 0, 1);
      w.poll();
    }
    assert.equal(w.lastDurableSeq, 2);
    await closed;
  });

  it('fails calls made after close instead of leaving them pending', async (t) => {
    const file = join(await tempDir(t), 'f');
    const fd = fs.openSync(file, 'w+');
    t.after(() => fs.closeSync(fd));
    const io = startIoThread(1024);
    await writeAsync(io, fd, [Buffer.from('a')], 0);
    await io.close();
    await assert.rejects(writeAsync(io, fd, [Buffer.from('b')], 1), /exited|closed/);
  });
});

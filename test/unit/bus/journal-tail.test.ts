import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseFeedCursor } from '../../../src/bus/feed.js';
import { JournalTail } from '../../../src/bus/journal-tail.js';
import { readCheckpoint, writeCheckpoint } from '../../../src/bus/checkpoint.js';
import { loadGatewayId } from '../../../src/bus/gateway-id.js';
import { loadBusConfig } from '../../../src/config/bus.js';
import { JournalWriter, listSegments } from '../../../src/journal/index.js';

const KEYS = new Map([['k1', Buffer.alloc(32, 1)]]);

describe('journal tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-tail-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads records as they become durable, across segment rotations, from any starting seq', async () => {
    const jdir = join(dir, 'j');
    const w = await JournalWriter.open({ dir: jdir, keys: KEYS, activeKeyId: 'k1', fsync: false, segmentBytes: 4096 });
    const tail = new JournalTail(jdir, 1);
    const seen: number[] = [];
    const payloadOf = (seq: number): string => `record-${seq}-${'x'.repeat(seq % 50)}`;
    const read = (to: number) => tail.read(to, (r) => {
      seen.push(r.seq);
      assert.equal(r.type, 7);
      assert.equal(r.payload.toString(), payloadOf(r.seq));
    });
    assert.equal(await read(10), 0, 'nothing on disk yet');
    for (let round = 0; round < 6; round++) {
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < 40; i++) last = w.append(7, Buffer.from(payloadOf(w.lastSeq + 1))).durable;
      await last;
      await read(w.lastDurableSeq);
      assert.deepEqual(seen, Array.from({ length: w.lastDurableSeq }, (_, i) => i + 1));
    }
    assert.ok((await listSegments(jdir)).length > 3, 'several segments');
    // a bound below what is on disk is honoured
    const bounded = new JournalTail(jdir, 100);
    const got: number[] = [];
    assert.equal(await bounded.read(130, (r) => got.push(r.seq)), 31);
    assert.deepEqual(got, Array.from({ length: 31 }, (_, i) => 100 + i));
    assert.equal(await bounded.read(135, (r) => got.push(r.seq), 2), 2, 'at most max');
    assert.equal(bounded.nextSeq, 133);
    await bounded.close();
    await tail.close();
    await w.close();
  });

  it('parses the feed cursor: its gateway and known streams only, record and batch positions', () => {
    const c = parseFeedCursor('gw-1', 'gw-1.orders.42, gw-1.v3-0.7.3,gw-2.orders.99,gw-1.nope.1,garbage,gw-1.orders.x', ['orders', 'v3-0', 'v3-1']);
    assert.deepEqual([...c], [
      ['orders', { seq: 42, index: -1 }],
      ['v3-0', { seq: 7, index: 3 }],
    ]);
    assert.equal(parseFeedCursor('gw-1', '', ['orders']).size, 0);
  });

  it('keeps the gateway id and the checkpoint in the data directory', async () => {
    const d = join(dir, 'data');
    const id = loadGatewayId(d);
    assert.match(id, /^gw-[0-9a-f]{16}$/);
    assert.equal(loadGatewayId(d), id);
    const file = join(d, 'bus-checkpoint.json');
    assert.equal(readCheckpoint(file, id).size, 0);
    await writeCheckpoint(file, id, new Map([['orders', 12], ['v3-0', 3]]));
    assert.deepEqual([...readCheckpoint(file, id)], [['orders', 12], ['v3-0', 3]]);
    assert.throws(() => readCheckpoint(file, 'gw-other'), { code: 'BUS_CHECKPOINT_INVALID' });
  });

  it('validates the bus settings', () => {
    const c = loadBusConfig({});
    assert.equal(c.kind, 'none');
    assert.equal(c.maxInFlight, 4096);
    assert.equal(c.stream.stream, 'SWITCHYARD_EVENTS');
    assert.throws(() => loadBusConfig({ NATS_URL: 'localhost:4222' }), /NATS_URL/);
    assert.throws(() => loadBusConfig({ BUS_RETRY_MIN_MS: '500', BUS_RETRY_MAX_MS: '100' }), /BUS_RETRY_MAX_MS/);
    assert.throws(() => loadBusConfig({ BUS_MAX_IN_FLIGHT: '0' }), /BUS_MAX_IN_FLIGHT/);
    assert.throws(() => loadBusConfig({ BUS_KIND: 'kafka' }), /BUS_KIND/);
  });
});

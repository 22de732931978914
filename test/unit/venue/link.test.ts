import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { jspurefix as J } from '../../../src/venue/fix/engine.js';
import { SentLog } from '../../../src/venue/fix/link-session.js';
import { SeqFileStore } from '../../../src/venue/fix/seq-store.js';
import {
  OUT_CANCEL_REJECT,
  OUT_REPORT,
  OUT_SESSION,
  REPORT_SLOTS,
  REQ_CANCEL,
  REQ_NEW,
  REQ_SLOTS,
  type Slot,
  pushCancelReject,
  pushReport,
  pushRequest,
  pushSession,
  readReport,
  readRequest,
} from '../../../src/venue/link/protocol.js';
import type { VenueOrder, VenueReport } from '../../../src/venue/venue.js';

const o: VenueOrder = { clOrdId: 'c1', accountId: 'acct', symbol: 'AAPL', side: Side.Sell, type: OrdType.Limit, qty: 7, price: 15_001, timeInForce: TimeInForce.GTD, expireAt: 1_800_000_000_000 };
const r: VenueReport = {
  venue: 'sim',
  clOrdId: 'c1',
  venueOrderId: 'v1',
  execId: 'e1',
  execType: 'TRADE',
  ordStatus: 'PARTIALLY_FILLED',
  lastQty: 3,
  lastPx: 15_001,
  cumQty: 3,
  leavesQty: 4,
  avgPx: 15_001,
  text: null,
  transactTime: 1_800_000_000_123,
  possDup: true,
};

describe('worker link protocol (flat batches)', () => {
  it('requests round-trip, REQ_SLOTS each', () => {
    const d: Slot[] = [];
    pushRequest(d, REQ_NEW, o);
    pushRequest(d, REQ_CANCEL, { ...o, clOrdId: 'c2' });
    assert.equal(d.length, 2 * REQ_SLOTS);
    assert.equal(d[0], REQ_NEW);
    assert.deepEqual(readRequest(d, 0), o);
    assert.equal(d[REQ_SLOTS], REQ_CANCEL);
    assert.equal(readRequest(d, REQ_SLOTS).clOrdId, 'c2');
    assert.deepEqual(structuredClone(d), d);
  });

  it('outputs round-trip: reports, cancel rejects, session events', () => {
    const d: Slot[] = [];
    pushReport(d, r);
    pushCancelReject(d, { venue: 'sim', clOrdId: 'c1', reason: 'UNKNOWN_ORDER' });
    pushSession(d, 'DOWN', 'gone');
    assert.equal(d[0], OUT_REPORT);
    assert.deepEqual(readReport('sim', d, 0), r);
    assert.deepEqual(d.slice(REPORT_SLOTS), [OUT_CANCEL_REJECT, 'c1', 'UNKNOWN_ORDER', OUT_SESSION, 'DOWN', 'gone']);
  });
});

describe('FIX sequence store', () => {
  it('persists each change at once and resumes from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-'));
    try {
      const id = new J.SessionId('FIX.4.4', 'GW', 'VEN');
      const a = new SeqFileStore(id, dir);
      await a.initialize();
      assert.deepEqual([a.senderSeqNum, a.targetSeqNum], [1, 1]);
      await a.setSenderSeqNum(42);
      await a.setTargetSeqNum(17);
      // no flush, no dispose: as after kill -9
      const b = new SeqFileStore(id, dir);
      await b.initialize();
      assert.deepEqual([b.senderSeqNum, b.targetSeqNum], [42, 17]);
      assert.equal(b.creationTime.getTime(), a.creationTime.getTime());
      assert.equal(readFileSync(b.path).length, 64);
      await b.reset();
      const c = new SeqFileStore(id, dir);
      await c.initialize();
      assert.deepEqual([c.senderSeqNum, c.targetSeqNum], [1, 1]);
      await a.dispose();
      await b.dispose();
      await c.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file it cannot read starts the session at 1 (the peer then refuses or resends)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-'));
    try {
      const id = new J.SessionId('FIX.4.4', 'GW', 'VEN');
      const s = new SeqFileStore(id, dir);
      writeFileSync(s.path, 'garbage');
      await s.initialize();
      assert.deepEqual([s.senderSeqNum, s.targetSeqNum], [1, 1]);
      await s.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sent log', () => {
  it('keeps the most recent messages by sequence number, bounded', () => {
    const log = new SentLog(3);
    for (let s = 1; s <= 5; s++) log.put(s, '8', { n: s }, new Date(s));
    assert.equal(log.get(1), undefined);
    assert.equal(log.get(2), undefined);
    assert.deepEqual(log.get(5)?.body, { n: 5 });
    assert.equal(log.get(3)?.msgType, '8');
  });
});

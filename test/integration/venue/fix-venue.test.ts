/**
 * The FIX link against the standalone acceptor over a real loopback socket: FixVenue (initiator,
 * on its worker thread) ↔ FixAcceptor (in this process, wrapping the simulator).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { type FixLinkSettings, parseFixLinkSettings, parseSimSettings } from '../../../src/config/venues.js';
import { FixAcceptor } from '../../../src/venue/fix/acceptor.js';
import { FixVenue } from '../../../src/venue/fix/fix-venue.js';
import type { VenueOrder } from '../../../src/venue/venue.js';
import { Collector } from './collector.js';

const REFS = new Map([['AAPL', 15_000], ['MSFT', 42_000]]);
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'venue-fix-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let n = 0;
function order(over: Partial<VenueOrder> = {}): VenueOrder {
  return { clOrdId: `f${++n}`, accountId: 'acct-1', symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTC, expireAt: 0, ...over };
}

interface Rig {
  acceptor: FixAcceptor;
  venue: FixVenue;
  ev: Collector;
  link: FixLinkSettings;
  sent8: () => number;
}

async function rig(cancelOnDisconnect: boolean, dir = tmp()): Promise<Rig> {
  const link = { ...parseFixLinkSettings({}, 'VENUE_FIX_', join(dir, 'acceptor')), port: 0, heartbeatSec: 5, reconnectMinMs: 20, reconnectMaxMs: 200 };
  const acceptor = new FixAcceptor({ link, sim: { ...parseSimSettings({}, 'VENUE_SIM_'), walkStepTicks: 0 }, cancelOnDisconnect }, REFS);
  let sent8 = 0;
  acceptor.on('sent', (msgType: string) => {
    if (msgType === '8') sent8++;
  });
  const port = await acceptor.listen();
  const ev = new Collector();
  const ilink = { ...link, port, dataDir: join(dir, 'initiator') };
  const venue = new FixVenue('fix', ilink);
  await venue.start(ev);
  await ev.until(() => ev.sessions.some((s) => s.state === 'UP'));
  return { acceptor, venue, ev, link: ilink, sent8: () => sent8 };
}

async function teardown(r: Rig): Promise<void> {
  await r.venue.close();
  await r.acceptor.close();
}

// Generous suite timeouts: they catch a hang, not a slow machine (a 2-core VM shared by several
// test suites took over 60 s for the dropped-connection suite).
describe('FIX link: orders, cancels, rejects, status', { timeout: 300_000 }, () => {
  let r: Rig;
  before(async () => {
    r = await rig(true);
  });
  after(() => teardown(r));

  it('logs on: CONNECTING, then UP', () => {
    assert.deepEqual(r.ev.sessions.map((s) => s.state), ['CONNECTING', 'UP']);
    assert.equal(r.acceptor.connected, true);
  });

  it('order → ack → fills', async () => {
    const o = order({ qty: 150, price: 15_010 });
    r.venue.send(o);
    await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.ordStatus === 'FILLED');
    assert.deepEqual(r.ev.of(o.clOrdId).map((x) => [x.venue, x.execType, x.ordStatus, x.lastQty, x.lastPx, x.cumQty, x.leavesQty, x.possDup]), [
      ['fix', 'NEW', 'NEW', 0, 0, 0, 150, false],
      ['fix', 'TRADE', 'PARTIALLY_FILLED', 100, 15_001, 100, 50, false],
      ['fix', 'TRADE', 'FILLED', 50, 15_002, 150, 0, false],
    ]);
    const last = r.ev.of(o.clOrdId).at(-1)!;
    assert.ok(Math.abs(last.avgPx - (100 * 15_001 + 50 * 15_002) / 150) < 1e-6);
    assert.ok(last.transactTime > 0 && last.execId.length > 0 && last.venueOrderId.length > 0);
  });

  it('cancel → CANCELED only on the venue\'s confirmation', async () => {
    const o = order({ price: 14_000 });
    r.venue.send(o);
    await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'NEW');
    r.venue.cancel(o);
    assert.equal(r.ev.of(o.clOrdId).length, 1);
    const c = await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'CANCELED');
    assert.deepEqual([c.ordStatus, c.leavesQty, c.cumQty, c.text], ['CANCELED', 0, 0, null]);
  });

  it('a venue reject', async () => {
    const o = order({ symbol: 'ZZZ', type: OrdType.Market, price: 0 });
    r.venue.send(o);
    const x = await r.ev.untilReport((y) => y.clOrdId === o.clOrdId);
    assert.deepEqual([x.execType, x.ordStatus, x.text], ['REJECTED', 'REJECTED', 'UNKNOWN_SYMBOL']);
  });

  it('OrderCancelReject for an unknown order and for a filled one', async () => {
    const ghost = order();
    r.venue.cancel(ghost);
    await r.ev.until(() => r.ev.rejects.some((x) => x.clOrdId === ghost.clOrdId));
    assert.deepEqual(r.ev.rejects.find((x) => x.clOrdId === ghost.clOrdId), { venue: 'fix', clOrdId: ghost.clOrdId, reason: 'UNKNOWN_ORDER' });
    const done = order({ symbol: 'MSFT', qty: 10, price: 42_001 });
    r.venue.send(done);
    await r.ev.untilReport((x) => x.clOrdId === done.clOrdId && x.ordStatus === 'FILLED');
    r.venue.cancel(done);
    await r.ev.until(() => r.ev.rejects.some((x) => x.clOrdId === done.clOrdId));
    assert.equal(r.ev.rejects.find((x) => x.clOrdId === done.clOrdId)!.reason, 'TOO_LATE_TO_CANCEL');
  });

  it('a market order (OrdType 1) and a GTD order that expires (TimeInForce 6, ExpireTime)', async () => {
    const m = order({ type: OrdType.Market, price: 0, qty: 5, side: Side.Sell });
    r.venue.send(m);
    const fill = await r.ev.untilReport((x) => x.clOrdId === m.clOrdId && x.execType === 'TRADE');
    assert.deepEqual([fill.ordStatus, fill.lastQty, fill.lastPx], ['FILLED', 5, 14_999]);
    const g = order({ price: 14_000, timeInForce: TimeInForce.GTD, expireAt: Date.now() + 300 });
    r.venue.send(g);
    const ex = await r.ev.untilReport((x) => x.clOrdId === g.clOrdId && x.execType === 'EXPIRED');
    assert.deepEqual([ex.ordStatus, ex.leavesQty], ['EXPIRED', 0]);
    assert.deepEqual(r.ev.of(g.clOrdId).map((x) => x.execType), ['NEW', 'EXPIRED']);
    assert.ok(ex.transactTime >= g.expireAt);
  });

  it('status request: the order\'s state, or UNKNOWN', async () => {
    const o = order({ symbol: 'MSFT', qty: 150, price: 42_002 });
    r.venue.send(o);
    await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'TRADE');
    const ghost = order();
    r.venue.requestStatus(o);
    r.venue.requestStatus(ghost);
    const st = await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'ORDER_STATUS');
    assert.equal(st.cumQty + st.leavesQty, 150);
    assert.ok(st.ordStatus === 'PARTIALLY_FILLED' || st.ordStatus === 'FILLED');
    const g = await r.ev.untilReport((x) => x.clOrdId === ghost.clOrdId);
    assert.deepEqual([g.execType, g.ordStatus], ['ORDER_STATUS', 'UNKNOWN']);
  });
});

describe('FIX link: a dropped connection', { timeout: 300_000 }, () => {
  it('reconnects and recovers by sequence number: reports lost with the connection arrive again, possDup', async () => {
    const r = await rig(false);
    try {
      const resting = order({ price: 14_000 });
      r.venue.send(resting);
      await r.ev.untilReport((x) => x.clOrdId === resting.clOrdId && x.execType === 'NEW');

      // the venue's next reports are written into a stalled socket, then the connection dies
      const before = r.sent8();
      assert.equal(r.acceptor.stall(), true);
      const lost = order({ qty: 150, price: 15_010 });
      r.venue.send(lost);
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (r.sent8() >= before + 3) {
            r.acceptor.off('sent', check);
            resolve();
          }
        };
        r.acceptor.on('sent', check);
      });
      assert.equal(r.ev.of(lost.clOrdId).length, 0, 'nothing got through the stalled socket');
      assert.equal(r.acceptor.dropConnection(), true);

      await r.ev.untilReport((x) => x.clOrdId === lost.clOrdId && x.ordStatus === 'FILLED');
      const states = r.ev.sessions.map((s) => s.state);
      assert.deepEqual(states.slice(0, 3), ['CONNECTING', 'UP', 'DOWN']);
      assert.equal(states.at(-1), 'UP');
      const got = r.ev.of(lost.clOrdId);
      assert.deepEqual(got.map((x) => [x.execType, x.cumQty, x.possDup]), [
        ['NEW', 0, true],
        ['TRADE', 100, true],
        ['TRADE', 150, true],
      ]);

      // the resting order kept working (no cancel-on-disconnect here): status after reconnect
      r.venue.requestStatus(resting);
      const st = await r.ev.untilReport((x) => x.clOrdId === resting.clOrdId && x.execType === 'ORDER_STATUS');
      assert.deepEqual([st.ordStatus, st.leavesQty, st.possDup], ['NEW', 100, false]);

      // and the session goes on: new orders are acknowledged, not marked possDup
      const after = order({ price: 14_001 });
      r.venue.send(after);
      const ack = await r.ev.untilReport((x) => x.clOrdId === after.clOrdId);
      assert.deepEqual([ack.execType, ack.possDup], ['NEW', false]);
      const ids = r.ev.reports.map((x) => x.execId);
      assert.equal(new Set(ids).size, ids.length, 'no report delivered twice');
    } finally {
      await teardown(r);
    }
  });

  it('cancel-on-disconnect: working orders are cancelled, the CANCELED reports arrive after the next logon', async () => {
    const r = await rig(true);
    try {
      const o = order({ price: 14_000 });
      r.venue.send(o);
      await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'NEW');
      const logout = once(r.acceptor, 'logout');
      r.acceptor.dropConnection();
      await logout;
      assert.equal(r.acceptor.openOrders, 0);
      const c = await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'CANCELED');
      assert.deepEqual([c.ordStatus, c.text, c.leavesQty], ['CANCELED', 'CANCEL_ON_DISCONNECT', 0]);
      r.venue.requestStatus(o);
      const st = await r.ev.untilReport((x) => x.clOrdId === o.clOrdId && x.execType === 'ORDER_STATUS');
      assert.equal(st.ordStatus, 'CANCELED');
    } finally {
      await teardown(r);
    }
  });

  it('sequence numbers persist: a new link on the same data directory resumes them', async () => {
    const dir = tmp();
    const r = await rig(false, dir);
    const seqs: number[] = [];
    r.acceptor.on('sent', (_t: string, seq: number) => seqs.push(seq));
    const a = order({ price: 14_000 });
    r.venue.send(a);
    await r.ev.untilReport((x) => x.clOrdId === a.clOrdId);
    await r.venue.close();
    const ev = new Collector();
    const again = new FixVenue('fix', r.link);
    await again.start(ev);
    try {
      await ev.until(() => ev.sessions.some((s) => s.state === 'UP'));
      const b = order({ price: 14_001 });
      again.send(b);
      const ack = await ev.untilReport((x) => x.clOrdId === b.clOrdId && x.execType === 'NEW');
      assert.equal(ack.possDup, false);
      assert.ok(seqs.length >= 2 && seqs.at(-1)! > seqs[0]!, `acceptor's sequence numbers go on: ${seqs.join(',')}`);
      assert.equal(ev.reports.some((x) => x.clOrdId === a.clOrdId || x.possDup), false, 'nothing from the old session is replayed');
    } finally {
      await again.close();
      await r.acceptor.close();
    }
  });

  it('a new order while the session is down is rejected at once (VENUE_DOWN)', async () => {
    const r = await rig(true);
    await r.acceptor.close();
    await r.ev.until(() => r.ev.sessions.at(-1)?.state !== 'UP');
    try {
      const o = order();
      r.venue.send(o);
      const x = await r.ev.untilReport((y) => y.clOrdId === o.clOrdId);
      assert.deepEqual([x.execType, x.text], ['REJECTED', 'VENUE_DOWN']);
    } finally {
      await r.venue.close();
    }
  });
});

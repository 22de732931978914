/**
 * `npm run bench:venue-link`: what a venue costs the gateway's event loop, per order.
 *
 * 1. send cost: SEND_ORDERS (200,000) `send` calls in batches of BATCH (200) per event-loop turn;
 *    the time of the calls plus the flush (one postMessage per batch) per order.
 * 2. paced load: RATE orders/s (20,000) for SECONDS (3), a batch every millisecond, against the
 *    venue; the main thread's event-loop utilisation (ELU) while the venue answers every order —
 *    sending, flushing, and decoding and dispatching every report — divided by the orders: the
 *    main-thread cost per order. Also order → NEW report and order → first fill p50/p99.
 *
 * VENUE=sim (default): the embedded simulator (worker thread). VENUE=fix: the FIX link (worker
 * thread) to an in-process standalone acceptor, over loopback. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrdType, Side, TimeInForce } from '../src/contract/order.js';
import { parseFixLinkSettings, parseSimSettings } from '../src/venue/config.js';
import { SimVenue } from '../src/venue/sim/sim-venue.js';
import { FixVenue } from '../src/venue/fix/fix-venue.js';
import { FixAcceptor } from '../src/venue/fix/acceptor.js';
import type { Venue, VenueOrder, VenueReport } from '../src/venue/venue.js';

const SEND_ORDERS = Number(process.env.SEND_ORDERS ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 200);
const RATE = Number(process.env.RATE ?? 20_000);
const SECONDS = Number(process.env.SECONDS ?? 3);
const KIND = process.env.VENUE ?? 'sim';
const REFS = new Map([['AAPL', 15_000]]);

let seq = 0;
const sentAt = new Map<string, number>();
const ackLat: number[] = [];
const fillLat: number[] = [];
let answered = 0;

function order(): VenueOrder {
  // alternate a crossing buy and a resting sell far away: half the orders fill at once
  const i = ++seq;
  const cross = i % 2 === 0;
  return { clOrdId: `b${i}`, accountId: 'a', symbol: 'AAPL', side: cross ? Side.Buy : Side.Sell, type: OrdType.Limit, qty: 1, price: cross ? 15_010 : 16_000, timeInForce: TimeInForce.GTC, expireAt: 0 };
}

function onReport(r: VenueReport): void {
  const t0 = sentAt.get(r.clOrdId);
  if (t0 === undefined) return;
  const dt = performance.now() - t0;
  if (r.execType === 'NEW') {
    ackLat.push(dt);
    answered++;
  } else if (r.execType === 'TRADE') {
    fillLat.push(dt);
    sentAt.delete(r.clOrdId);
  }
}

function pct(a: number[], p: number): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function makeVenue(): Promise<{ venue: Venue; stop: () => Promise<void> }> {
  const sim = { ...parseSimSettings({}, 'VENUE_SIM_'), latencyUs: 0, lpDepth: 1_000_000_000 };
  if (KIND === 'sim') return { venue: new SimVenue('sim', sim, REFS), stop: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'venue-bench-'));
  const link = { ...parseFixLinkSettings({}, 'VENUE_FIX_', join(dir, 'acceptor')), port: 0 };
  const acceptor = new FixAcceptor({ link, sim, cancelOnDisconnect: true }, REFS);
  const port = await acceptor.listen();
  const venue = new FixVenue('fix', { ...link, port, dataDir: join(dir, 'initiator') });
  return {
    venue,
    stop: async () => {
      await acceptor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const { venue, stop } = await makeVenue();
  let up = false;
  let upResolve: () => void = () => undefined;
  const upP = new Promise<void>((r) => (upResolve = r));
  await venue.start({
    report: onReport,
    cancelReject: () => undefined,
    session: (_v, s) => {
      if (s === 'UP' && !up) {
        up = true;
        upResolve();
      }
    },
  });
  await upP;

  // 1. send cost
  let sendNs = 0n;
  for (let done = 0; done < SEND_ORDERS; done += BATCH) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) venue.send(order());
    sendNs += process.hrtime.bigint() - t0;
    await turn(); // the flush runs in this turn's check phase
  }
  const flushStart = performance.now();
  while (answered < SEND_ORDERS && performance.now() - flushStart < 60_000) await new Promise((r) => setTimeout(r, 5));
  const sendOnlyNs = Number(sendNs) / SEND_ORDERS;

  // 2. paced load, ELU of the main thread
  ackLat.length = 0;
  fillLat.length = 0;
  sentAt.clear();
  answered = 0;
  const perMs = RATE / 1000;
  const total = Math.round(RATE * SECONDS);
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) * perMs));
      while (sent < due) {
        const o = order();
        sentAt.set(o.clOrdId, performance.now());
        venue.send(o);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const waitStart = performance.now();
  while (answered < total && performance.now() - waitStart < 60_000) await new Promise((r) => setTimeout(r, 2));
  const elu = performance.eventLoopUtilization(elu0);
  const elapsedMs = performance.now() - start;
  await venue.close();
  await stop();
  console.log(
    JSON.stringify({
      venue: KIND,
      sendCallNsPerOrder: Math.round(sendOnlyNs),
      pacedRate: RATE,
      orders: total,
      answered,
      mainThreadActiveMs: Math.round(elu.active),
      mainThreadUsPerOrder: Number(((elu.active * 1000) / total).toFixed(2)),
      mainThreadUtilisation: Number(elu.utilization.toFixed(3)),
      elapsedMs: Math.round(elapsedMs),
      ackP50Us: pct(ackLat, 50),
      ackP99Us: pct(ackLat, 99),
      firstFillP50Us: pct(fillLat, 50),
      firstFillP99Us: pct(fillLat, 99),
    }),
  );
}

await main();

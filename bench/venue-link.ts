/**
 * `npm run bench:venue-link`: what a venue costs the gateway's event loop, per order.
 *
 * VENUE (comma list, default `null,sim,fix,fix-inline`), each measured in turn:
 *   null        a venue that takes orders and answers nothing: the harness's own cost
 *   sim         the embedded simulator (worker thread, batched link)
 *   fix         the FIX link (initiator on a worker thread) to `npm run venue` in a child process
 *   fix-inline  the same initiator run on the main thread (the placement not chosen), same peer
 *
 * Per venue:
 * 1. send cost: SEND_ORDERS (50,000) `send` calls in batches of BATCH (200) per event-loop turn —
 *    ns per call (for the worker-backed venues: buffering only, the flush is in the next figure);
 * 2. paced load: RATE orders/s (10,000) for SECONDS (3), a batch every millisecond; the main
 *    thread's event-loop utilisation (ELU) while the venue answers every order — sending,
 *    flushing, receiving, decoding and dispatching every report — as µs per order, and the main
 *    thread's CPU time per order (Linux /proc; compare both with `null`, the harness's own cost);
 *    order → NEW report and order → first fill p50/p99 (µs).
 * Half the orders cross the market (fill at once), half rest far away. Prints one JSON line per
 * venue. The simulator runs with latency 0 so the figures are the link's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { OrdType, Side, TimeInForce } from '../src/contract/order.js';
import { type FixLinkSettings, parseFixLinkSettings, parseSimSettings } from '../src/config/venues.js';
import { FixVenue } from '../src/venue/fix/fix-venue.js';
import { FixInitiatorBackend } from '../src/venue/fix/initiator.js';
import { SimVenue } from '../src/venue/sim/sim-venue.js';
import type { Venue, VenueEvents, VenueOrder, VenueReport } from '../src/venue/venue.js';

const SEND_ORDERS = Number(process.env.SEND_ORDERS ?? 50_000);
const BATCH = Number(process.env.BATCH ?? 200);
const RATE = Number(process.env.RATE ?? 10_000);
const SECONDS = Number(process.env.SECONDS ?? 3);
const KINDS = (process.env.VENUE ?? 'null,sim,fix,fix-inline').split(',');
const REFS = new Map([['AAPL', 15_000]]);

let seq = 0;
const sentAt = new Map<string, number>();
let ackLat: number[] = [];
let fillLat: number[] = [];
let answered = 0;

function order(): VenueOrder {
  const i = ++seq;
  const cross = i % 2 === 0;
  return { clOrdId: `b${i}`, accountId: 'a', symbol: 'AAPL', side: cross ? Side.Buy : Side.Sell, type: OrdType.Limit, qty: 1, price: cross ? 15_010 : 16_000, timeInForce: TimeInForce.GTC, expireAt: 0 };
}

const events = (onUp: () => void): VenueEvents => ({
  report(r: VenueReport): void {
    const t0 = sentAt.get(r.clOrdId);
    if (r.execType === 'NEW') answered++;
    if (t0 === undefined) return;
    const dt = performance.now() - t0;
    if (r.execType === 'NEW') ackLat.push(dt);
    else if (r.execType === 'TRADE') {
      fillLat.push(dt);
      sentAt.delete(r.clOrdId);
    }
  },
  cancelReject: () => undefined,
  session: (_v, s) => {
    if (s === 'UP') onUp();
  },
});

/**
 * CPU time (µs) of this process's main thread, from /proc (Linux; 10 ms ticks): unlike the ELU it
 * does not count time the thread was runnable but preempted, which on a loaded 2-core machine
 * inflates the ELU of a three-thread setup. null where /proc is not there.
 */
function mainThreadCpuUs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100;
  } catch {
    return null;
  }
}

function pct(a: number[], p: number): number | null {
  if (a.length === 0) return null;
  const s = [...a].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000);
}

/** The null venue: takes orders, answers NEW on the next turn (the harness's floor). */
class NullVenue implements Venue {
  readonly name = 'null';
  readonly outlivesGateway = false;
  private ev: VenueEvents | null = null;
  private pending: string[] = [];
  async start(ev: VenueEvents): Promise<void> {
    this.ev = ev;
    ev.session('null', 'UP', null);
  }
  send(o: VenueOrder): void {
    if (this.pending.length === 0) setImmediate(() => this.answer());
    this.pending.push(o.clOrdId);
  }
  private answer(): void {
    const ids = this.pending;
    this.pending = [];
    for (const clOrdId of ids) this.ev!.report({ venue: 'null', clOrdId, venueOrderId: '', execId: clOrdId, execType: 'NEW', ordStatus: 'NEW', lastQty: 0, lastPx: 0, cumQty: 0, leavesQty: 1, avgPx: 0, text: null, transactTime: 0, possDup: false });
  }
  cancel(): void {}
  requestStatus(): void {}
  async close(): Promise<void> {}
}

/** The FIX initiator run on the calling thread (for comparison only). */
class InlineFixVenue implements Venue {
  readonly name = 'fix-inline';
  readonly outlivesGateway = true;
  private b: FixInitiatorBackend | null = null;
  constructor(private readonly link: FixLinkSettings) {}
  async start(ev: VenueEvents): Promise<void> {
    this.b = new FixInitiatorBackend(this.name, this.link, { report: (r) => ev.report(r), cancelReject: (r) => ev.cancelReject(r), session: (s, d) => ev.session(this.name, s, d) });
    this.b.start();
  }
  send(o: VenueOrder): void {
    this.b!.submit(o);
  }
  cancel(o: VenueOrder): void {
    this.b!.cancel(o);
  }
  requestStatus(o: VenueOrder): void {
    this.b!.status(o);
  }
  async close(): Promise<void> {
    await this.b?.close();
  }
}

async function startAcceptor(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const entry = join(here, '..', '..', 'src', 'venue', 'fix', ts ? 'acceptor-main.ts' : 'acceptor-main.js');
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), entry], {
    env: { ...process.env, VENUE_FIX_PORT: '0', VENUE_FIX_DATA_DIR: join(dir, 'acceptor'), VENUE_SIM_LATENCY_US: '0', VENUE_SIM_LP_DEPTH: '1000000000', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+).*"msg":"ready"/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`acceptor exited with ${code}`)));
  });
  return { port, child };
}

async function measure(kind: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'venue-bench-'));
  let child: ChildProcess | null = null;
  let venue: Venue;
  if (kind === 'null') venue = new NullVenue();
  else if (kind === 'sim') venue = new SimVenue('sim', { ...parseSimSettings({}, 'VENUE_SIM_'), latencyUs: 0, lpDepth: 1_000_000_000 }, REFS);
  else {
    const acc = await startAcceptor(dir);
    child = acc.child;
    const link = { ...parseFixLinkSettings({}, 'VENUE_FIX_', join(dir, 'initiator')), port: acc.port };
    venue = kind === 'fix' ? new FixVenue('fix', link) : new InlineFixVenue(link);
  }
  seq = 0;
  sentAt.clear();
  let upResolve: () => void = () => undefined;
  const up = new Promise<void>((r) => (upResolve = r));
  await venue.start(events(() => upResolve()));
  await up;

  answered = 0;
  let sendNs = 0n;
  for (let done = 0; done < SEND_ORDERS; done += BATCH) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) venue.send(order());
    sendNs += process.hrtime.bigint() - t0;
    await new Promise((r) => setImmediate(r));
    while (answered < done + BATCH - 20_000) await new Promise((r) => setTimeout(r, 1)); // bounded backlog
  }
  const waitAll = performance.now();
  while (answered < SEND_ORDERS && performance.now() - waitAll < 60_000) await new Promise((r) => setTimeout(r, 5));

  ackLat = [];
  fillLat = [];
  answered = 0;
  const base = seq;
  const perMs = RATE / 1000;
  const total = Math.round(RATE * SECONDS);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuUs();
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
  const cpu1 = mainThreadCpuUs();
  const elapsedMs = performance.now() - start;
  await venue.close();
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
  void base;
  return {
    venue: kind,
    sendCallNsPerOrder: Math.round(Number(sendNs) / SEND_ORDERS),
    pacedRate: RATE,
    orders: total,
    answered,
    elapsedMs: Math.round(elapsedMs),
    mainThreadEluUsPerOrder: Number(((elu.active * 1000) / total).toFixed(2)),
    mainThreadCpuUsPerOrder: cpu0 === null || cpu1 === null ? null : Number(((cpu1 - cpu0) / total).toFixed(2)),
    mainThreadUtilisation: Number(elu.utilization.toFixed(3)),
    ackP50Us: pct(ackLat, 50),
    ackP99Us: pct(ackLat, 99),
    firstFillP50Us: pct(fillLat, 50),
    firstFillP99Us: pct(fillLat, 99),
  };
}

for (const k of KINDS) console.log(JSON.stringify(await measure(k)));
process.exit(0);

/**
 * `npm run bench:bus`: the outbox relay to NATS JetStream, next to a bare JetStream publisher in
 * the same run.
 *
 *  - throughput (RUNS interleaved rounds, bare and relay alternating which goes first):
 *      relay: a journal of EVENTS /v3 order events (batch records of BATCH orders, as the drain
 *             workers write them) is relayed from an empty checkpoint by the gateway's
 *             NatsPublisher (journal read, bus_event_v1 encoding, per-account subject, Nats-Msg-Id,
 *             pipelined publishes with BUS_MAX_IN_FLIGHT acks outstanding, checkpoint) until
 *             JetStream has acknowledged every event;
 *      bare:  the same number of pre-encoded messages of the same size, subjects and dedup ids,
 *             published the same way (async publishes, acks on one inbox) with the same window:
 *             the ceiling of this client and server on this machine; and, for reference,
 *             `js.publish(subject, payload, {msgID})` (a request per message).
 *    events/s per round, medians, relay/bare ratio.
 *  - lag: a journal written at RATE orders/s (a batch record of RATE/1000 orders every ms, durable
 *    after its fdatasync) for LAG_SECONDS while the publisher follows it and an ordered consumer
 *    reads the stream: journal → consumer lag = receive time − the record's journal time; p50/p99
 *    per round (LAG_RUNS rounds), medians.
 *
 * One process: the writer and the consumer on its event loop, the publisher on its own thread
 * (PublisherThread, as the gateway runs it). NATS: 127.0.0.1:4222 when it answers, else a private `nats-server -js` on a free
 * port. Streams are created per round and deleted after. Results in
 * var/results/bench-bus-<timestamp>.{json,txt}.
 *
 * Env: RUNS (5), EVENTS (50000), BATCH (10), RATE (10000), LAG_SECONDS (10), LAG_RUNS (3),
 * BUS_MAX_IN_FLIGHT (4096).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, headers } from '@nats-io/transport-node';
import { PublisherThread } from '../src/bus/publisher-thread.js';
import { loadBusConfig } from '../src/config/bus.js';
import { type BusEvent } from '../src/contract/bus-event.js';
import { OrdType, Side, TimeInForce } from '../src/contract/order.js';
import { copyEntry, V3_BATCH_RECORD_TYPE } from '../src/drain/batch-record.js';
import { allocateRing, RingConsumer, RingProducer } from '../src/fastpath/ingress-ring.js';
import { JournalWriter } from '../src/journal/index.js';
import { LatencyHistogram } from '../src/lib/latency.js';
import { ROOT, timestamp } from './lib/common.js';
import { median } from './lib/proc.js';
import { natsServer } from './lib/services.js';

const RUNS = Math.max(1, Number(process.env.RUNS ?? 5));
const EVENTS = Math.max(100, Number(process.env.EVENTS ?? 50_000));
const BATCH = Math.max(1, Number(process.env.BATCH ?? 10));
const RATE = Math.max(1000, Number(process.env.RATE ?? 10_000));
const LAG_SECONDS = Math.max(1, Number(process.env.LAG_SECONDS ?? 10));
const LAG_RUNS = Math.max(1, Number(process.env.LAG_RUNS ?? 3));
const WINDOW = Number(process.env.BUS_MAX_IN_FLIGHT ?? 4096);
const ACCOUNTS = Array.from({ length: 16 }, (_, i) => `acct-${i}`);
const KEYS = new Map([['k1', Buffer.alloc(32, 7)]]);

/** Batch payloads of BATCH orders, one per account rotation (as the drain workers write them). */
function batchPayloads(): Buffer[] {
  const out: Buffer[] = [];
  let orderNo = 1_000_000;
  for (let b = 0; b < ACCOUNTS.length; b++) {
    const ring = allocateRing(BATCH * 2);
    const p = new RingProducer(ring);
    for (let i = 0; i < BATCH; i++) {
      const acct = ACCOUNTS[(b + i) % ACCOUNTS.length]!;
      p.push(++orderNo, i + 1, 0, acct, `sess-${acct}`, { symbol: 'AAPL', side: Side.Buy, type: OrdType.Limit, qty: 100, price: 15_000, timeInForce: TimeInForce.GTC, expireAt: 0, clientOrderId: `c-${orderNo}` });
    }
    const c = new RingConsumer(ring);
    const buf = Buffer.alloc(4 + BATCH * 256);
    let at = 4;
    for (let i = 0; i < BATCH; i++) at = copyEntry(c.bytes, c.slotOffset(i), buf, at);
    buf.writeUInt32LE(BATCH, 0);
    out.push(Buffer.from(buf.subarray(0, at)));
  }
  return out;
}

async function openWriter(dir: string): Promise<JournalWriter> {
  return JournalWriter.open({ dir, keys: KEYS, activeKeyId: 'k1', fsync: true, maxBatchDelayUs: 200 });
}

/** The gateway's publisher, on its own thread as the gateway runs it. */
function thread(cfg: ReturnType<typeof loadBusConfig>, dir: string, durableSeq: () => number, cp: string): PublisherThread {
  return new PublisherThread(cfg, 'gw-bench', [{ name: 'v3-0', dir, durableSeq }], cp, new Map(), 'warn', () => {});
}

let streamNo = 0;
function busCfg(url: string): ReturnType<typeof loadBusConfig> {
  const tag = `${process.pid}_${++streamNo}`;
  return loadBusConfig({ BUS_KIND: 'nats', NATS_URL: url, BUS_STREAM: `BENCH_BUS_${tag}`, BUS_SUBJECT_PREFIX: `bench.bus.${tag}`, BUS_MAX_IN_FLIGHT: String(WINDOW), BUS_POLL_MS: '1', BUS_RETRY_MIN_MS: '50', BUS_RETRY_MAX_MS: '500' });
}

async function dropStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
  await nc.close();
}

/** events/s of the relay over a pre-written journal. */
async function relayRound(url: string, payloads: Buffer[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-bus-'));
  const cfg = busCfg(url);
  try {
    const w = await openWriter(join(dir, 'shard-0'));
    const records = Math.ceil(EVENTS / BATCH);
    let durable: Promise<void> = Promise.resolve();
    for (let i = 0; i < records; i++) durable = w.append(V3_BATCH_RECORD_TYPE, payloads[i % payloads.length]!).durable;
    await durable;
    const last = w.lastDurableSeq;
    await w.close();
    // timed from when the publisher is connected (thread start and connect are not relaying)
    let go = false;
    const pub = thread(cfg, join(dir, 'shard-0'), () => (go ? last : 0), join(dir, 'cp.json'));
    while (!pub.status().connected) await new Promise((r) => setTimeout(r, 5));
    go = true;
    const t0 = performance.now();
    while (pub.status().lagRecords > 0) await new Promise((r) => setTimeout(r, 1));
    const s = (performance.now() - t0) / 1000;
    await pub.stop();
    return (records * BATCH) / s;
  } finally {
    await dropStream(url, cfg.stream.stream);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * events/s of a bare publisher: the same number of pre-encoded messages, subjects, dedup ids and
 * window. `async`: core publishes with a reply inbox, acks taken from one subscription (what the
 * relay does); `request`: `js.publish` (one request per message), the client's convenience API.
 */
async function bareRound(url: string, mode: 'async' | 'request'): Promise<number> {
  const cfg = busCfg(url);
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: cfg.stream.stream, subjects: [`${cfg.stream.subjectPrefix}.>`], duplicate_window: cfg.stream.dedupWindowMs * 1e6 });
    const ev: BusEvent = { type: 'OrderAccepted', at: new Date().toISOString(), accountId: 'acct-1', orderId: '1000001', data: { clientOrderId: 'c-1000001', expireAt: null, price: 15000, qty: 100, sessionId: 'sess-acct-1', sessionSeq: 1, side: 'BUY', symbol: 'AAPL', timeInForce: 'GTC', type: 'LIMIT' } };
    const payload = JSON.stringify(ev);
    const subjects = ACCOUNTS.map((a) => `${cfg.stream.subjectPrefix}.${a}`);
    const n = Math.ceil(EVENTS / BATCH) * BATCH;
    const idOf = (i: number): string => `gw-bench.v3-0.${1 + Math.floor(i / BATCH)}.${i % BATCH}`;
    const t0 = performance.now();
    if (mode === 'request') {
      const js = jetstream(nc);
      const inflight: Array<Promise<unknown>> = [];
      let head = 0;
      for (let i = 0; i < n; i++) {
        if (inflight.length - head >= WINDOW) await inflight[head++];
        inflight.push(js.publish(subjects[i % subjects.length]!, payload, { msgID: idOf(i) }));
      }
      while (head < inflight.length) await inflight[head++];
    } else {
      const inbox = createInbox();
      let acked = 0;
      let wake: (() => void) | null = null;
      const sub = nc.subscribe(`${inbox}.*`, {
        callback: () => {
          acked++;
          wake?.();
        },
      });
      for (let i = 0; i < n; i++) {
        while (i - acked >= WINDOW) await new Promise<void>((r) => (wake = r));
        const h = headers();
        h.set('Nats-Msg-Id', idOf(i));
        nc.publish(subjects[i % subjects.length]!, payload, { reply: `${inbox}.${i}`, headers: h });
      }
      while (acked < n) await new Promise<void>((r) => (wake = r));
      sub.unsubscribe();
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await nc.close();
    await dropStream(url, cfg.stream.stream);
  }
}

/** journal → consumer lag at RATE orders/s: p50/p99 in ms. */
async function lagRound(url: string, payloads: Buffer[]): Promise<{ p50Ms: number; p99Ms: number; events: number; maxMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-lag-'));
  const cfg = busCfg(url);
  const hist = new LatencyHistogram();
  const nc = await connect({ servers: url });
  try {
    const w = await openWriter(join(dir, 'shard-0'));
    const pub = thread(cfg, join(dir, 'shard-0'), () => w.lastDurableSeq, join(dir, 'cp.json'));
    // the stream exists once the publisher is connected
    const jsm = await jetstreamManager(nc);
    for (;;) {
      try {
        await jsm.streams.info(cfg.stream.stream);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const consumer = await jetstream(nc).consumers.get(cfg.stream.stream, { filter_subjects: `${cfg.stream.subjectPrefix}.>`, deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    let received = 0;
    let maxMs = 0;
    const reading = (async () => {
      for await (const m of messages) {
        const ev = JSON.parse(m.string()) as BusEvent;
        const lagMs = Date.now() - Date.parse(ev.at);
        if (lagMs > maxMs) maxMs = lagMs;
        hist.record(Math.max(0, lagMs) * 1e6);
        received++;
      }
    })();
    // open loop: every ms, the batches due by the clock (RATE orders/s in batches of BATCH)
    const perMs = RATE / 1000;
    const start = performance.now();
    let written = 0;
    let k = 0;
    let durable: Promise<void> = Promise.resolve();
    while (performance.now() - start < LAG_SECONDS * 1000) {
      const due = Math.floor(((performance.now() - start) * perMs) / BATCH);
      while (written < due) {
        durable = w.append(V3_BATCH_RECORD_TYPE, payloads[k++ % payloads.length]!, Date.now()).durable;
        written++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await durable;
    const total = written * BATCH;
    const until = Date.now() + 30_000;
    while (received < total && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    messages.stop();
    await reading.catch(() => {});
    await pub.stop();
    await w.close();
    return { p50Ms: hist.percentileUs(50) / 1000, p99Ms: hist.percentileUs(99) / 1000, events: received, maxMs };
  } finally {
    await nc.close();
    await dropStream(url, cfg.stream.stream);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const nats = await natsServer();
  const payloads = batchPayloads();
  const relay: number[] = [];
  const bare: number[] = [];
  const request: number[] = [];
  const lag: Array<Awaited<ReturnType<typeof lagRound>>> = [];
  try {
    await bareRound(nats.url, 'async'); // warm-up (server and client)
    for (let r = 0; r < RUNS; r++) {
      if (r % 2 === 0) {
        bare.push(await bareRound(nats.url, 'async'));
        relay.push(await relayRound(nats.url, payloads));
        request.push(await bareRound(nats.url, 'request'));
      } else {
        request.push(await bareRound(nats.url, 'request'));
        relay.push(await relayRound(nats.url, payloads));
        bare.push(await bareRound(nats.url, 'async'));
      }
      console.error(`round ${r + 1}/${RUNS}: relay ${Math.round(relay[r]!)} events/s, bare ${Math.round(bare[r]!)} events/s, js.publish ${Math.round(request[r]!)} events/s`);
    }
    for (let r = 0; r < LAG_RUNS; r++) {
      lag.push(await lagRound(nats.url, payloads));
      console.error(`lag round ${r + 1}/${LAG_RUNS}: p50 ${lag[r]!.p50Ms.toFixed(2)} ms, p99 ${lag[r]!.p99Ms.toFixed(2)} ms, ${lag[r]!.events} events`);
    }
  } finally {
    await nats.stop();
  }
  const result = {
    nats: nats.where,
    settings: { RUNS, EVENTS, BATCH, RATE, LAG_SECONDS, LAG_RUNS, BUS_MAX_IN_FLIGHT: WINDOW },
    throughput: {
      relayEventsPerSec: Math.round(median(relay)),
      bareEventsPerSec: Math.round(median(bare)),
      jsPublishEventsPerSec: Math.round(median(request)),
      ratio: Number((median(relay) / median(bare)).toFixed(3)),
      rounds: relay.map((x, i) => ({ relay: Math.round(x), bare: Math.round(bare[i]!), jsPublish: Math.round(request[i]!) })),
    },
    lag: { rateOrdersPerSec: RATE, p50Ms: Number(median(lag.map((l) => l.p50Ms)).toFixed(2)), p99Ms: Number(median(lag.map((l) => l.p99Ms)).toFixed(2)), rounds: lag },
  };
  const text =
    `bench:bus (${nats.where}; ${RUNS} rounds of ${EVENTS} events, batches of ${BATCH}, window ${WINDOW})\n` +
    `  relay  ${result.throughput.relayEventsPerSec} events/s (median)\n` +
    `  bare   ${result.throughput.bareEventsPerSec} events/s (median; async publishes with Nats-Msg-Id, pre-encoded, same window)\n` +
    `  js.publish ${result.throughput.jsPublishEventsPerSec} events/s (median; the client's request-per-message API, same window)\n` +
    `  ratio  ${result.throughput.ratio}\n` +
    `  lag journal → consumer at ${RATE} orders/s for ${LAG_SECONDS} s: p50 ${result.lag.p50Ms} ms, p99 ${result.lag.p99Ms} ms (median of ${LAG_RUNS})\n`;
  const ts = timestamp();
  writeFileSync(join(ROOT, 'var/results', `bench-bus-${ts}.json`), JSON.stringify(result, null, 2));
  writeFileSync(join(ROOT, 'var/results', `bench-bus-${ts}.txt`), text);
  process.stdout.write(text);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

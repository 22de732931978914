/**
 * `npm run bench:tcp`: binary TCP order entry.
 *
 * 1. Pipelined throughput on one connection: PIPELINE_ORDERS (1,000,000) NewOrder frames sent as
 *    fast as the gateway answers, at most WINDOW (8192) outstanding; orders/s = answers / elapsed.
 * 2. Single-order round trip: RTT_ORDERS (20,000) orders one at a time (send, wait for the Ack),
 *    against the gateway and against a bare Node TCP echo server sent the same frame, in the same
 *    run; reports p50/p99 and the ratio.
 * VARIANT_ENV="NAME=value,...": a second gateway with these variables is measured beside the first,
 * interleaved step by step (e.g. VARIANT_ENV=SOR_VENUES=none: the venue loop off).
 * Writes var/results/bench-tcp-<timestamp>.{json,txt}.
 */
import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { OrdType, Side, TimeInForce } from '../src/contract/order.js';
import { LatencyHistogram } from '../src/lib/latency.js';
import { encodeLogin, encodeNewOrder, MsgType } from '@switchyard/protocol';
import { ROOT, variantEnv, writeReport } from './lib/common.js';
import { startNode } from './lib/proc.js';

const PIPELINE_ORDERS = Number(process.env.PIPELINE_ORDERS ?? 1_000_000);
const WINDOW = Number(process.env.WINDOW ?? 8192);
const RTT_ORDERS = Number(process.env.RTT_ORDERS ?? 20_000);
const SECRET = 'bench-secret';
const ORDER_FRAME = 43;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Frames of `count` orders with client sequence numbers from `firstSeq`. */
function orderFrames(firstSeq: number, count: number): Buffer {
  const b = Buffer.allocUnsafe(count * ORDER_FRAME);
  for (let i = 0; i < count; i++) {
    encodeNewOrder(b, i * ORDER_FRAME, { clientSeq: firstSeq + i, symbol: 'AAPL', side: Side.Buy, ordType: OrdType.Limit, timeInForce: TimeInForce.GTC, qty: 100, price: 15000, expireAt: 0, clientOrderId: null });
  }
  return b;
}

/** Counts server frames by type without decoding bodies (the client must not be the bottleneck). */
class FrameCounter {
  private carry = Buffer.alloc(0);
  acks = 0;
  rejects = 0;
  other = 0;
  push(d: Buffer): number {
    let buf = this.carry.length ? Buffer.concat([this.carry, d]) : d;
    let pos = 0;
    let n = 0;
    while (buf.length - pos >= 3) {
      const len = buf.readUInt16LE(pos);
      if (buf.length - pos < 2 + len) break;
      const t = buf[pos + 2];
      if (t === MsgType.Ack) this.acks++;
      else if (t === MsgType.Reject) this.rejects++;
      else this.other++;
      n++;
      pos += 2 + len;
    }
    this.carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    buf = Buffer.alloc(0);
    return n;
  }
}

async function login(s: Socket, token: string): Promise<void> {
  const b = Buffer.alloc(1100);
  s.write(b.subarray(0, encodeLogin(b, 0, { version: 1, heartbeatMs: 30_000, token })));
  await new Promise<void>((resolve, reject) => {
    s.once('data', (d: Buffer) => (d[2] === MsgType.LoginAccepted ? resolve() : reject(new Error(`login failed: type ${d[2]}`))));
  });
}

async function pipelined(port: number, token: string): Promise<{ ordersPerSec: number; acks: number; rejects: number; seconds: number }> {
  const s = await open(port);
  await login(s, token);
  const frames = orderFrames(1, PIPELINE_ORDERS);
  const counter = new FrameCounter();
  let sent = 0;
  let answered = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < PIPELINE_ORDERS && sent - answered < WINDOW) {
        const n = Math.min(WINDOW - (sent - answered), PIPELINE_ORDERS - sent, 1024);
        s.write(frames.subarray(sent * ORDER_FRAME, (sent + n) * ORDER_FRAME));
        sent += n;
      }
    };
    s.on('data', (d: Buffer) => {
      answered += counter.push(d);
      if (answered >= PIPELINE_ORDERS) resolve();
      else pump();
    });
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ordersPerSec: PIPELINE_ORDERS / seconds, acks: counter.acks, rejects: counter.rejects, seconds };
}

/** Round trips; the gateway's answers are counted as frames (an Ack or a Reject each). */
async function roundTrips(port: number, token: string | null, expectBytes: number): Promise<LatencyHistogram & { rejects?: number }> {
  const s = await open(port);
  if (token !== null) await login(s, token);
  const frames = orderFrames(1, RTT_ORDERS);
  const h: LatencyHistogram & { rejects?: number } = new LatencyHistogram();
  const counter = token !== null ? new FrameCounter() : null;
  let got = 0;
  let resolveOne: (() => void) | null = null;
  s.on('data', (d: Buffer) => {
    got += counter !== null ? counter.push(d) * expectBytes : d.length;
    if (got >= expectBytes && resolveOne) {
      got -= expectBytes;
      const r = resolveOne;
      resolveOne = null;
      r();
    }
  });
  for (let i = 0; i < RTT_ORDERS; i++) {
    const done = new Promise<void>((r) => (resolveOne = r));
    const t0 = performance.now();
    s.write(frames.subarray(i * ORDER_FRAME, (i + 1) * ORDER_FRAME));
    await done;
    if (i >= RTT_ORDERS / 10) h.since(t0, performance.now()); // first 10% are warm-up
  }
  s.destroy();
  if (counter !== null) h.rejects = counter.rejects;
  return h;
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const env = { GATEWAY_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, LOG_LEVEL: 'warn', KAFKA_ENABLE: '0', V3_CANCEL_WINDOW: '65536', ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('V3_'))) };
  const variant = variantEnv();
  const gw = await startNode([join(ROOT, 'dist/src/main.js')], env);
  const alt = variant === null ? null : await startNode([join(ROOT, 'dist/src/main.js')], { ...env, ...variant });
  const echo = await startNode([join(ROOT, 'dist/bench/echo-server.js')], { PORT: '0' });
  try {
    const tok = (n: string) => mintToken({ secret: SECRET, accountId: n, ttlSec: 3600 });
    // warm-up of both paths
    await pipelined(gw.tcpPort, await tok('warm'));
    if (alt) await pipelined(alt.tcpPort, await tok('warm'));
    const pipe = await pipelined(gw.tcpPort, await tok('pipe'));
    const altPipe = alt ? await pipelined(alt.tcpPort, await tok('pipe')) : null;
    const echoRtt = await roundTrips(echo.tcpPort, null, ORDER_FRAME);
    const gwRtt = await roundTrips(gw.tcpPort, await tok('rtt'), 35);
    const altRtt = alt ? await roundTrips(alt.tcpPort, await tok('rtt'), 35) : null;
    const echoRtt2 = await roundTrips(echo.tcpPort, null, ORDER_FRAME);
    const gwRtt2 = await roundTrips(gw.tcpPort, await tok('rtt2'), 35);
    const altRtt2 = alt ? await roundTrips(alt.tcpPort, await tok('rtt2'), 35) : null;
    const p = (h: LatencyHistogram, q: number) => h.percentileNs(q) / 1000;
    const r = {
      at: new Date().toISOString(),
      settings: { pipelineOrders: PIPELINE_ORDERS, window: WINDOW, rttOrders: RTT_ORDERS },
      pipelined: pipe,
      rtt: {
        gatewayP50Us: Math.min(p(gwRtt, 50), p(gwRtt2, 50)),
        gatewayP99Us: Math.min(p(gwRtt, 99), p(gwRtt2, 99)),
        echoP50Us: Math.min(p(echoRtt, 50), p(echoRtt2, 50)),
        echoP99Us: Math.min(p(echoRtt, 99), p(echoRtt2, 99)),
        gatewayRejects: (gwRtt.rejects ?? 0) + (gwRtt2.rejects ?? 0),
      },
      ratioP50: 0,
      ratioP99: 0,
      variant:
        alt && altPipe && altRtt && altRtt2
          ? {
              env: variant,
              pipelined: altPipe,
              rttP50Us: Math.min(p(altRtt, 50), p(altRtt2, 50)),
              rttP99Us: Math.min(p(altRtt, 99), p(altRtt2, 99)),
            }
          : null,
    };
    r.ratioP50 = r.rtt.gatewayP50Us / r.rtt.echoP50Us;
    r.ratioP99 = r.rtt.gatewayP99Us / r.rtt.echoP99Us;
    const pass = pipe.ordersPerSec >= 250_000 && r.ratioP50 <= 1.3 && pipe.rejects === 0 && r.rtt.gatewayRejects === 0;
    const lines = [
      `bench:tcp  ${r.at}`,
      '',
      `pipelined, one connection: ${pipe.ordersPerSec.toFixed(0)} orders/s (${PIPELINE_ORDERS} orders in ${pipe.seconds.toFixed(2)} s, window ${WINDOW}; acks ${pipe.acks}, rejects ${pipe.rejects})   (target >= 250000)`,
      '',
      'single-order round trip   p50        p99',
      `gateway                   ${r.rtt.gatewayP50Us.toFixed(1).padStart(6)} us  ${r.rtt.gatewayP99Us.toFixed(1).padStart(7)} us`,
      `bare TCP echo             ${r.rtt.echoP50Us.toFixed(1).padStart(6)} us  ${r.rtt.echoP99Us.toFixed(1).padStart(7)} us`,
      `ratio gateway/echo        ${r.ratioP50.toFixed(2).padStart(6)}     ${r.ratioP99.toFixed(2).padStart(7)}      (target p50 <= 1.3)`,
      `round-trip orders rejected by the gateway: ${r.rtt.gatewayRejects}`,
      ...(r.variant === null
        ? []
        : [
            `variant ${JSON.stringify(r.variant.env)}: pipelined ${r.variant.pipelined.ordersPerSec.toFixed(0)} orders/s (rejects ${r.variant.pipelined.rejects}); ` +
              `round trip p50 ${r.variant.rttP50Us.toFixed(1)} us, p99 ${r.variant.rttP99Us.toFixed(1)} us (ratio to echo ${(r.variant.rttP50Us / r.rtt.echoP50Us).toFixed(2)} / ${(r.variant.rttP99Us / r.rtt.echoP99Us).toFixed(2)})`,
          ]),
      `verdict: ${pass ? 'PASS' : 'FAIL'}`,
    ];
    writeReport('tcp', r, lines);
  } finally {
    await gw.stop();
    await alt?.stop();
    await echo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * `npm run bench:v3`: /v3/orders against the bare node:http ceiling, same wrk settings, one run.
 *
 * For each of RUNS rounds (alternating, to spread machine noise over both): start the server,
 * warm it up with WARMUP seconds of load, reset the gateway's latency histograms, load it for
 * DURATION seconds, scrape /metrics, stop it. Reports medians, the gateway/bare ratio, and the
 * in-handler accepted ack p99. Then one more bare round whose window is stretched (by spinning)
 * to the gateway's median in-handler time: the p99 this machine gives a window of that length. Results go to var/results/bench-v3-<timestamp>.{json,txt}.
 *
 * Env: RUNS (3), DURATION (10), WARMUP (3), CONNECTIONS (50), THREADS (1), V3_RISK_PROFILE etc. pass through.
 * VARIANT_ENV="NAME=value,...": every round also runs the gateway with these variables (an A/B in
 * the same rounds, e.g. VARIANT_ENV=HTTP_FAST_LANE=0 for node:http without the fast lane).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { cpuPerRequest, median, type Started, startNode, threadCpu } from './lib/proc.js';
import { ensureWrk, runWrk, type WrkResult, writeOrderScript } from './lib/wrk.js';
import { ROOT, scrape, variantEnv, writeReport } from './lib/common.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const THREADS = Number(process.env.THREADS ?? 1);
const SECRET = 'bench-secret';
const NODE_FLAGS: string[] = [];
const VARIANT = variantEnv();

type Target = 'bare' | 'gateway' | 'variant';

interface Round {
  target: Target;
  wrk: WrkResult;
  metrics?: Map<string, number>;
  /** bare server: its in-handler window (parse + build answer) */
  window?: { p50Us: number; p99Us: number };
  /** CPU time per request during the measured run (/proc; zeros where unavailable) */
  cpu: { mainUserUs: number; mainSysUs: number; otherUs: number };
}

async function measure(target: Target, script: string, adminToken: string, busyUs = 0): Promise<Round> {
  let server: Started;
  if (target === 'bare') {
    server = await startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0', BUSY_US: String(busyUs) }, NODE_FLAGS);
  } else {
    server = await startNode([join(ROOT, 'dist/src/main.js')], {
      GATEWAY_PORT: '0',
      GATEWAY_TCP_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      JWT_HS256_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      KAFKA_ENABLE: '0',
      FASTPATH_DRAIN_ENABLE: '1',
      ...(target === 'variant' ? VARIANT : {}),
    }, NODE_FLAGS);
  }
  const url = `http://127.0.0.1:${server.port}/v3/orders`;
  try {
    await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: WARMUP });
    const base = `http://127.0.0.1:${server.port}`;
    const r = await (target !== 'bare'
      ? fetch(`${base}/admin/metrics/reset`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } })
      : fetch(`${base}/stats`, { method: 'POST' }));
    if (r.status !== 200) throw new Error(`histogram reset failed: ${r.status}`);
    const pid = server.proc.pid!;
    const cpu0 = threadCpu(pid);
    const wrk = await runWrk({ url, script, threads: THREADS, connections: CONNECTIONS, durationSec: DURATION });
    const cpu = cpuPerRequest(pid, cpu0, threadCpu(pid), wrk.requests);
    if (target !== 'bare') return { target, wrk, cpu, metrics: await scrape(server.port) };
    return { target, wrk, cpu, window: (await (await fetch(`${base}/stats`)).json()) as { p50Us: number; p99Us: number } };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  ensureWrk();
  mkdirSync(join(ROOT, 'var/results'), { recursive: true });
  const token = await mintToken({ secret: SECRET, accountId: '12345', ttlSec: 86_400 });
  const admin = await mintToken({ secret: SECRET, accountId: 'bench-admin', roles: ['admin'] });
  const script = join(ROOT, 'var/results/.wrk_v3.lua');
  writeOrderScript(script, token, '/v3/orders');

  const rounds: Round[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const target of VARIANT === null ? (['bare', 'gateway'] as const) : (['bare', 'gateway', 'variant'] as const)) {
      const r = await measure(target, script, admin);
      rounds.push(r);
      const inHandler = r.metrics?.get('gateway_live_ack_accepted_p99_us') ?? r.window?.p99Us;
      console.error(
        `[bench:v3] run ${i + 1}/${RUNS} ${target}: ${r.wrk.rps.toFixed(0)} req/s, client p99 ${r.wrk.p99Us.toFixed(0)} us, in-handler p99 ${inHandler} us, ` +
          `CPU/request: event loop ${r.cpu.mainUserUs} + ${r.cpu.mainSysUs} us (user + sys), other threads ${r.cpu.otherUs} us`,
      );
    }
  }

  // Noise floor: the bare server with its window stretched (by spinning) to the gateway's median
  // in-handler time. Its p99 is what this machine gives any window of that length.
  const gwP50 = median(rounds.filter((r) => r.target === 'gateway').map((r) => r.metrics!.get('gateway_live_ack_accepted_p50_us') ?? NaN));
  const floor = await measure('bare', script, admin, gwP50);
  console.error(`[bench:v3] noise floor: bare server with a ${gwP50} us busy window: in-handler p50/p99 ${floor.window!.p50Us} / ${floor.window!.p99Us} us`);

  const of = (t: string) => rounds.filter((r) => r.target === t);
  const med = (t: string, f: (r: Round) => number) => median(of(t).map(f));
  const gw = of('gateway');
  const m = (name: string) => median(gw.map((r) => r.metrics!.get(name) ?? NaN));
  const bareRps = med('bare', (r) => r.wrk.rps);
  const gwRps = med('gateway', (r) => r.wrk.rps);
  const accepted = gw.reduce((n, r) => n + (r.metrics!.get('gateway_v3_accepted_total') ?? 0), 0);
  const non2xx = gw.reduce((n, r) => n + r.wrk.non2xx, 0);
  const va = of('variant');
  const variant =
    VARIANT === null
      ? null
      : {
          env: VARIANT,
          rps: med('variant', (r) => r.wrk.rps),
          p50Us: med('variant', (r) => r.wrk.p50Us),
          p99Us: med('variant', (r) => r.wrk.p99Us),
          inHandlerAcceptedP99Us: median(va.map((r) => r.metrics!.get('gateway_live_ack_accepted_p99_us') ?? NaN)),
          non2xx: va.reduce((n, r) => n + r.wrk.non2xx, 0),
        };
  const summary = {
    at: new Date().toISOString(),
    settings: { runs: RUNS, durationSec: DURATION, warmupSec: WARMUP, connections: CONNECTIONS, threads: THREADS, nodeFlags: NODE_FLAGS, riskProfile: process.env.V3_RISK_PROFILE ?? 'light' },
    bare: {
      rps: bareRps,
      p50Us: med('bare', (r) => r.wrk.p50Us),
      p99Us: med('bare', (r) => r.wrk.p99Us),
      inHandlerP50Us: med('bare', (r) => r.window!.p50Us),
      inHandlerP99Us: med('bare', (r) => r.window!.p99Us),
    },
    gateway: {
      rps: gwRps,
      p50Us: med('gateway', (r) => r.wrk.p50Us),
      p99Us: med('gateway', (r) => r.wrk.p99Us),
      inHandlerAcceptedP50Us: m('gateway_live_ack_accepted_p50_us'),
      inHandlerAcceptedP99Us: m('gateway_live_ack_accepted_p99_us'),
      ackP99Us: m('gateway_ack_p99_us'),
      stagesP99Us: Object.fromEntries(['parse', 'risk', 'risk_limits', 'enqueue', 'serialize'].map((s) => [s, m(`gateway_v3_stage_${s}_p99_us`)])),
      acceptedRate: m('gateway_v3_accepted_rate'),
      non2xx,
      accepted,
    },
    ratio: gwRps / bareRps,
    variant: variant === null ? null : { ...variant, ratio: variant.rps / bareRps },
    noiseFloor: { busyUs: gwP50, inHandlerP50Us: floor.window!.p50Us, inHandlerP99Us: floor.window!.p99Us, rps: floor.wrk.rps },
    targets: { ratioMin: 0.8, inHandlerAcceptedP99MaxUs: 15 },
    rounds: rounds.map((r) => ({
      target: r.target,
      rps: r.wrk.rps,
      p50Us: r.wrk.p50Us,
      p99Us: r.wrk.p99Us,
      non2xx: r.wrk.non2xx,
      inHandlerP99Us: r.metrics?.get('gateway_live_ack_accepted_p99_us') ?? r.window?.p99Us,
      cpuPerRequestUs: r.cpu,
    })),
  };
  const pass = summary.ratio >= 0.8 && summary.gateway.inHandlerAcceptedP99Us <= 15 && non2xx === 0;
  const lines = [
    `bench:v3  ${summary.at}  runs=${RUNS} duration=${DURATION}s connections=${CONNECTIONS} threads=${THREADS} (medians)`,
    '',
    'target    req/s      client p50   client p99',
    `bare      ${bareRps.toFixed(0).padEnd(10)} ${summary.bare.p50Us.toFixed(0).padStart(7)} us  ${summary.bare.p99Us.toFixed(0).padStart(7)} us`,
    `gateway   ${gwRps.toFixed(0).padEnd(10)} ${summary.gateway.p50Us.toFixed(0).padStart(7)} us  ${summary.gateway.p99Us.toFixed(0).padStart(7)} us`,
    ...(variant === null
      ? []
      : [
          `variant   ${variant.rps.toFixed(0).padEnd(10)} ${variant.p50Us.toFixed(0).padStart(7)} us  ${variant.p99Us.toFixed(0).padStart(7)} us   (gateway with ${process.env.VARIANT_ENV}: ratio ${(variant.rps / bareRps).toFixed(3)}, in-handler p99 ${variant.inHandlerAcceptedP99Us} us, non-2xx ${variant.non2xx})`,
        ]),
    '',
    `throughput ratio gateway/bare: ${summary.ratio.toFixed(3)}   (target >= 0.8)`,
    `in-handler accepted ack p50/p99: ${summary.gateway.inHandlerAcceptedP50Us} / ${summary.gateway.inHandlerAcceptedP99Us} us   (target p99 <= 15)`,
    `bare in-handler window (JSON.parse + answer) p50/p99: ${summary.bare.inHandlerP50Us} / ${summary.bare.inHandlerP99Us} us`,
    `noise floor: bare window stretched to the gateway's p50 (${gwP50} us, spinning): p50/p99 ${floor.window!.p50Us} / ${floor.window!.p99Us} us`,
    `stage p99 (us): ${Object.entries(summary.gateway.stagesP99Us).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `CPU per request (median; event loop user + sys, other threads): ${(['bare', 'gateway', ...(variant === null ? [] : ['variant'])] as const)
      .map((t) => `${t} ${med(t, (r) => r.cpu.mainUserUs)} + ${med(t, (r) => r.cpu.mainSysUs)}, ${med(t, (r) => r.cpu.otherUs)} us`)
      .join('; ')}`,
    `non-2xx answers: ${non2xx}; accepted rate ${summary.gateway.acceptedRate}`,
    `verdict: ${pass ? 'PASS' : 'FAIL'}`,
  ];
  writeReport('v3', summary, lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

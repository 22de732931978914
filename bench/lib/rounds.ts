/**
 * One closed-loop measurement round with wrk against a fresh server: start it, warm it up,
 * reset the gateway's latency histograms (so its p99s cover the measured run only), run wrk,
 * scrape /metrics, stop it. Shared by the gates and comparisons that use wrk.
 */
import { join } from 'node:path';
import { mintToken } from '../../src/auth/token.js';
import { cpuPerRequest, type Started, threadCpu } from './proc.js';
import { BENCH_SECRET, type ServerKind, scrapeText, startServer } from './servers.js';
import { runWrk, type WrkResult, writeOrderScript } from './wrk.js';
import { resultsDir } from './results.js';

export interface WrkLoad {
  path: string;
  warmupSec: number;
  durationSec: number;
  connections: number;
  threads: number;
}

export interface WrkRound {
  kind: ServerKind;
  wrk: WrkResult;
  /** gateway only: /metrics after the run */
  metrics: Map<string, number>;
  metricsText: string;
  cpu: { mainUserUs: number; mainSysUs: number; otherUs: number };
}

let adminToken: Promise<string> | null = null;

export function benchToken(accountId: string): Promise<string> {
  return mintToken({ secret: BENCH_SECRET, accountId, ttlSec: 86_400 });
}

/** A fresh wrk order script (own key prefix) for `token` on `path`. */
export function orderScript(name: string, token: string, path: string): string {
  const file = join(resultsDir(), `.wrk_${name}_${process.pid}.lua`);
  writeOrderScript(file, token, path);
  return file;
}

/** Resets the gateway's histograms (POST /admin/metrics/reset). */
export async function resetGatewayMetrics(s: Started): Promise<void> {
  adminToken ??= mintToken({ secret: BENCH_SECRET, accountId: 'bench-admin', roles: ['admin'], ttlSec: 86_400 });
  const r = await fetch(`http://127.0.0.1:${s.port}/admin/metrics/reset`, { method: 'POST', headers: { authorization: `Bearer ${await adminToken}` } });
  if (r.status !== 200) throw new Error(`histogram reset failed: HTTP ${r.status}`);
}

/** Runs wrk on a started server (warm-up, reset, measured run, scrape). */
export async function wrkOn(s: Started, kind: ServerKind, load: WrkLoad, script: string): Promise<WrkRound> {
  const url = `http://127.0.0.1:${s.port}${load.path}`;
  if (load.warmupSec > 0) await runWrk({ url, script, threads: load.threads, connections: load.connections, durationSec: load.warmupSec });
  if (kind === 'gateway') await resetGatewayMetrics(s);
  const pid = s.proc.pid!;
  const before = threadCpu(pid);
  const wrk = await runWrk({ url, script, threads: load.threads, connections: load.connections, durationSec: load.durationSec });
  const cpu = cpuPerRequest(pid, before, threadCpu(pid), wrk.requests);
  if (kind !== 'gateway') return { kind, wrk, cpu, metrics: new Map(), metricsText: '' };
  const { text, m } = await scrapeText(s.port);
  return { kind, wrk, cpu, metrics: m, metricsText: text };
}

/** A fresh server of `kind`, one wrk measurement, stopped. */
export async function wrkRound(kind: ServerKind, load: WrkLoad, script: string, gatewayEnv: Record<string, string> = {}): Promise<WrkRound> {
  const s = await startServer(kind, gatewayEnv);
  try {
    return await wrkOn(s, kind, load, script);
  } finally {
    await s.stop();
  }
}

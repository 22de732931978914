/**
 * One open-loop measurement against a fresh server: start it, run the open-loop generator at a
 * rate (warm-up included, not recorded), scrape the gateway's /metrics, stop it. Shared by the
 * open-loop gate, the capacity sweep and the generator check.
 */
import { accountTokens, newRunId, runGenerator, type SenderConfig, type SenderResult } from './openloop/generator.js';
import type { GeneratorRun } from './gates/open-loop.js';
import { KnobError, num, str } from './env.js';
import { BENCH_SECRET, metric, scrapeText, startServer, type ServerKind } from './servers.js';

export interface OpenLoopLoad {
  rate: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  accounts: number;
  accountPrefix: string;
  drainTimeoutSec: number;
  mode: SenderConfig['mode'];
}

/** The original probe's knobs (TARGET_RPS, DURATION, LOAD_WORKERS, LOAD_ACCOUNTS, …). */
export function openLoopLoadFromEnv(defaults: { rate: number; durationSec: number }, env: NodeJS.ProcessEnv = process.env): OpenLoopLoad {
  const mode = str('GENERATOR_MODE', 'spin', env);
  if (mode !== 'timer' && mode !== 'spin') throw new KnobError(`GENERATOR_MODE: timer or spin, got ${JSON.stringify(mode)}`);
  return {
    rate: num('TARGET_RPS', defaults.rate, { min: 1 }, env),
    durationSec: num('DURATION', defaults.durationSec, { min: 1 }, env),
    warmupSec: num('WARMUP', 5, { min: 0 }, env),
    connections: num('LOAD_WORKERS', 16, { min: 1, integer: true }, env),
    accounts: num('LOAD_ACCOUNTS', 16, { min: 1, integer: true }, env),
    accountPrefix: str('ACCOUNT_PREFIX', 'openloop', env),
    drainTimeoutSec: num('DRAIN_TIMEOUT_SEC', 5, { min: 0 }, env),
    mode,
  };
}

export interface OpenLoopMeasurement {
  kind: ServerKind;
  gen: SenderResult;
  metrics: Map<string, number>;
  metricsText: string;
}

export async function openLoopOn(port: number, load: OpenLoopLoad, path = '/v3/orders'): Promise<SenderResult> {
  const tokens = await accountTokens(BENCH_SECRET, load.accountPrefix, load.accounts);
  return runGenerator({
    host: '127.0.0.1', port, path, tokens, runId: newRunId(), ratePerSec: load.rate, durationSec: load.durationSec, warmupSec: load.warmupSec,
    connections: load.connections, drainTimeoutSec: load.drainTimeoutSec, mode: load.mode, spinBelowUs: 2000,
  });
}

export async function openLoopRound(kind: ServerKind, load: OpenLoopLoad, gatewayEnv: Record<string, string> = {}): Promise<OpenLoopMeasurement> {
  const s = await startServer(kind, gatewayEnv);
  try {
    const gen = await openLoopOn(s.port, load);
    if (kind !== 'gateway') return { kind, gen, metrics: new Map(), metricsText: '' };
    const { text, m } = await scrapeText(s.port);
    return { kind, gen, metrics: m, metricsText: text };
  } finally {
    await s.stop();
  }
}

/** The figures a gate needs from one generator run. */
export function generatorRun(g: SenderResult): GeneratorRun {
  return { targetRps: g.targetRps, offeredRps: g.offeredRps, completedRps: g.completedRps, scheduled: g.scheduled, accepted: g.accepted, p50Us: g.latencyUs.p50, p99Us: g.latencyUs.p99, sendLagP99Us: g.sendLagUs.p99 };
}

/** One line per run: client latency with the generator's own lag next to it. */
export function describeRun(label: string, g: SenderResult): string {
  return (
    `${label}: offered ${g.offeredRps}/s of ${g.targetRps}/s, ${g.accepted}/${g.scheduled} accepted, ` +
    `client p50 ${g.latencyUs.p50} us p99 ${g.latencyUs.p99} us p99.9 ${g.latencyUs.p999} us | generator send lag p50 ${g.sendLagUs.p50} us p99 ${g.sendLagUs.p99} us, ` +
    `connection wait p99 ${g.queueWaitUs.p99} us` + (g.timedOut + g.errors > 0 ? `, ${g.timedOut} timeouts, ${g.errors} errors` : '')
  );
}

export { metric };

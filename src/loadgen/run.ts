/**
 * Programmatic entry of the load generator: builds the target, runs the open-loop schedule and
 * returns the summary. The CLI (cli.ts) is a thin argument parser around {@link runLoadgen}.
 */
import { LatencyRecorder } from './recorder.js';
import { OpenLoopSchedule } from './schedule.js';
import { realClock, realTimer, runOpenLoop } from './runner.js';
import { buildSummary, type LoadgenSummary } from './summary.js';
import { makeOrder, newRunId, orderJson, type OrderMix } from './orders.js';
import { httpTarget } from './targets/http.js';
import { tcpTarget } from './targets/tcp.js';
import type { Target } from './targets/target.js';

export interface LoadgenConfig {
  target: 'http' | 'tcp';
  /** HTTP: full URL of the order route */
  url: string;
  /** TCP: gateway host and port */
  host: string;
  port: number;
  ratePerSec: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** one token per account */
  tokens: string[];
  /** account ids (for the summary; same length as tokens when minted) */
  accounts: string[];
  symbols: string[];
  qty: number;
  price: number;
  type: 'LIMIT' | 'MARKET';
  maxOutstanding: number;
  drainTimeoutSec: number;
  label: string | null;
}

export async function runLoadgen(cfg: LoadgenConfig): Promise<LoadgenSummary> {
  const mixBase = { symbols: cfg.symbols, qty: cfg.qty, price: cfg.price, type: cfg.type, runId: newRunId() };
  let target: Target;
  if (cfg.target === 'http') {
    const mix: OrderMix = { ...mixBase, lanes: cfg.tokens.length };
    target = httpTarget({ url: cfg.url, connections: cfg.connections, tokens: cfg.tokens, body: (i) => orderJson(i, mix) });
  } else {
    const mix: OrderMix = { ...mixBase, lanes: cfg.connections };
    target = await tcpTarget({ host: cfg.host, port: cfg.port, connections: cfg.connections, tokens: cfg.tokens, order: (i) => makeOrder(i, mix) });
  }

  const startedAt = new Date();
  // Start slightly in the future so that set-up work does not show up as lag of the first sends.
  const schedule = new OpenLoopSchedule(realClock.nowNs() + 10_000_000, {
    ratePerSec: cfg.ratePerSec,
    durationMs: cfg.durationSec * 1000,
    warmupMs: cfg.warmupSec * 1000,
  });
  const recorder = new LatencyRecorder(schedule.warmupCount);
  try {
    await runOpenLoop({
      schedule,
      send: target.send,
      recorder,
      clock: realClock,
      timer: realTimer(),
      maxOutstanding: cfg.maxOutstanding,
      drainTimeoutMs: cfg.drainTimeoutSec * 1000,
    });
  } finally {
    await target.close();
  }
  return buildSummary({
    label: cfg.label,
    target: target.description,
    startedAt,
    schedule,
    recorder,
    config: {
      target: cfg.target,
      endpoint: cfg.target === 'http' ? cfg.url : `${cfg.host}:${cfg.port}`,
      rate: cfg.ratePerSec,
      durationSec: cfg.durationSec,
      warmupSec: cfg.warmupSec,
      connections: cfg.connections,
      accounts: cfg.accounts.length,
      symbols: cfg.symbols.join(','),
      qty: cfg.qty,
      price: cfg.price,
      type: cfg.type,
      maxOutstanding: cfg.maxOutstanding,
      drainTimeoutSec: cfg.drainTimeoutSec,
      node: process.version,
    },
  });
}

/**
 * The servers a comparison runs, started the same way by every script: the gateway (fresh
 * temporary data directory, the original gate scripts' environment: KAFKA_ENABLE=0,
 * FASTPATH_DRAIN_ENABLE=1, GATEWAY_TCP_PORT=0), the bare node:http ceiling (bench/bare-server.ts)
 * and the raw node:net floor (bench/floor-server.ts). Variables of the caller's environment pass
 * through to the gateway (e.g. V3_SHARD_COUNT=4 npm run gate:absolute).
 */
import { join } from 'node:path';
import { ROOT, scrape } from './common.js';
import { type Started, startNode } from './proc.js';

/** The gateway's secret in every benchmark (the original's gate scripts used secret123). */
export const BENCH_SECRET = 'secret123';

export type ServerKind = 'bare' | 'floor' | 'gateway';

export function startServer(kind: ServerKind, gatewayEnv: Record<string, string> = {}): Promise<Started> {
  if (kind === 'bare') return startNode([join(ROOT, 'dist/bench/bare-server.js')], { PORT: '0' });
  if (kind === 'floor') return startNode([join(ROOT, 'dist/bench/floor-server.js')], { PORT: '0' });
  return startNode([join(ROOT, 'dist/src/main.js')], {
    GATEWAY_PORT: '0',
    GATEWAY_TCP_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    JWT_HS256_SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    KAFKA_ENABLE: '0',
    FASTPATH_DRAIN_ENABLE: '1',
    ...gatewayEnv,
  });
}

/** Runs `fn` against a fresh server and stops it afterwards. */
export async function withServer<T>(kind: ServerKind, gatewayEnv: Record<string, string>, fn: (s: Started) => Promise<T>): Promise<T> {
  const s = await startServer(kind, gatewayEnv);
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** /metrics as text (saved as `.metrics.prom`) and parsed (unlabelled series). */
export async function scrapeText(port: number): Promise<{ text: string; m: Map<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { text, m: await scrape(port) };
}

/** A metric, NaN when the gateway does not expose it. */
export function metric(m: Map<string, number>, name: string): number {
  return m.get(name) ?? NaN;
}

/**
 * Round-robin order of the targets in round `r` (0-based): each round starts one later, so no
 * target always runs first (right after a quiet pause) or last.
 */
export function roundOrder<T>(targets: readonly T[], r: number): T[] {
  const k = r % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

/**
 * Server-sent event streams (`GET /stream`, `GET /orders/{id}/stream`) and CORS for browser
 * clients, read once at start-up. `SSE_BUFFER_SIZE` and `SSE_KEEPALIVE_SEC` are the original's
 * names; the rest are Switchyard's bounds (docs/sse.md).
 *
 * Memory bounds these settings imply:
 *   replay    SSE_BUFFER_SIZE x (SSE_BUFFER_ACCOUNTS + 1) events, about 0.5 KB each
 *   writes    SSE_MAX_STREAMS x SSE_MAX_WRITE_BUFFER_BYTES
 */
import { ConfigError, type Env, int, list, num, raw } from './env.js';

export interface SseConfig {
  /** SSE_BUFFER_SIZE: events kept per account (and for the all-accounts stream) for Last-Event-ID replay */
  bufferSize: number;
  /** SSE_BUFFER_ACCOUNTS: accounts with a replay buffer; the least recently active one is dropped first */
  bufferAccounts: number;
  /** SSE_KEEPALIVE_SEC: a stream with nothing written this long gets a `:keepalive` comment */
  keepAliveMs: number;
  /** SSE_MAX_STREAMS: open streams, all accounts together (beyond: 503 SSE_CAPACITY_EXHAUSTED) */
  maxStreams: number;
  /** SSE_MAX_STREAMS_PER_ACCOUNT: open streams of one account (beyond: 429 SSE_TOO_MANY_STREAMS) */
  maxStreamsPerAccount: number;
  /** SSE_MAX_WRITE_BUFFER_BYTES: bytes a stream may have unsent before it is closed as a slow client */
  maxWriteBufferBytes: number;
}

export function loadSseConfig(env: Env): SseConfig {
  const maxStreams = int(env, 'SSE_MAX_STREAMS', 10_000, { min: 1, max: 1_000_000 });
  return {
    bufferSize: int(env, 'SSE_BUFFER_SIZE', 1000, { min: 1, max: 1_000_000 }),
    bufferAccounts: int(env, 'SSE_BUFFER_ACCOUNTS', 256, { min: 1, max: 1_000_000 }),
    keepAliveMs: Math.round(num(env, 'SSE_KEEPALIVE_SEC', 15, { min: 0.01, max: 3600 }) * 1000),
    maxStreams,
    maxStreamsPerAccount: int(env, 'SSE_MAX_STREAMS_PER_ACCOUNT', Math.min(100, maxStreams), { min: 1, max: maxStreams }),
    maxWriteBufferBytes: int(env, 'SSE_MAX_WRITE_BUFFER_BYTES', 1 << 20, { min: 4096, max: 1 << 30 }),
  };
}

export interface CorsConfig {
  /**
   * CORS_ALLOWED_ORIGINS: `*` (any origin, the original's permissive CORS and the default),
   * a list of origins, or null (`none`: no CORS headers, preflights refused with 403).
   */
  origins: '*' | readonly string[] | null;
  /** CORS_MAX_AGE_SEC: how long a browser may cache a preflight answer */
  maxAgeSec: number;
}

export function loadCorsConfig(env: Env): CorsConfig {
  const name = 'CORS_ALLOWED_ORIGINS';
  const maxAgeSec = int(env, 'CORS_MAX_AGE_SEC', 600, { min: 0, max: 86_400 });
  const v = raw(env, name);
  if (v === undefined) return { origins: '*', maxAgeSec };
  if (v.toLowerCase() === 'none') return { origins: null, maxAgeSec };
  const origins = list(env, name);
  if (origins.includes('*')) {
    if (origins.length > 1) throw new ConfigError(name, `* allows every origin: give it alone, got ${JSON.stringify(v)}`);
    return { origins: '*', maxAgeSec };
  }
  for (const o of origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
      throw new ConfigError(name, `expected origins such as http://localhost:3000 (scheme, host, port; no path or trailing slash), got ${JSON.stringify(o)}`);
    }
  }
  return { origins, maxAgeSec };
}

/**
 * Back office configuration: read once at start-up from environment variables, validated,
 * frozen. Shares the gateway's names where the setting is the same (JWT_*, GATEWAY_DATA_DIR,
 * BUS_KIND, NATS_URL, LOG_LEVEL, BUS_STREAM, ...); its own settings start with BACKOFFICE_.
 * A bad value stops the start with a message naming the variable (ConfigError).
 */
import { join, resolve } from 'node:path';
import { type BusStreamConfig, loadBusStreamConfig } from '../bus/stream.js';
import type { AuthConfig } from '../config/config.js';
import { bool, ConfigError, type Env, int, list, oneOf, raw, str } from '../config/env.js';
import { parseBps } from './domain/decimal.js';

export interface BackofficeConfig {
  host: string;
  port: number;
  logLevel: string;
  auth: AuthConfig;
  /** `*` (any origin) or the allowed origins */
  corsOrigins: '*' | readonly string[];
  storage: StorageConfig;
  booking: BookingConfig;
  input: InputConfig;
  /** BACKOFFICE_RECONCILE_INTERVAL_SEC: whole-book reconcile period; 0 = only on request */
  reconcileIntervalSec: number;
}

export type StorageConfig =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dir: string };

export interface BookingConfig {
  /** BACKOFFICE_FEE_BPS in units of 1/10 000 bps (four decimals, exact) */
  feeBps4: bigint;
  /** symbol → currency */
  currencies: ReadonlyMap<string, string>;
  /** currency of symbols not in the map */
  defaultCurrency: string;
}

export interface InputConfig {
  kind: 'none' | 'nats';
  natsUrl: string;
  stream: BusStreamConfig;
  /** BACKOFFICE_CONSUMER: durable consumer name */
  consumer: string;
  /** BACKOFFICE_ACK_WAIT_MS: JetStream redelivers an event not acked this long after delivery */
  ackWaitMs: number;
  /** BACKOFFICE_PULL_BATCH: events pulled ahead from JetStream */
  pullBatch: number;
  /**
   * BACKOFFICE_BATCH_MAX: at most this many of the events already received are booked in one
   * transaction (1 = one transaction per event); a batch never waits to fill
   */
  batchMax: number;
  /** BACKOFFICE_GATEWAY_URL: base of the gateway's event feed (BUS_KIND=none) */
  gatewayUrl: string;
  /** BACKOFFICE_FEED_IDLE_MS: reconnect when the feed sends nothing (not even keep-alives) this long */
  feedIdleMs: number;
  /** BACKOFFICE_RETRY_MIN_MS / BACKOFFICE_RETRY_MAX_MS: backoff bounds for reconnects and storage retries */
  retryMinMs: number;
  retryMaxMs: number;
}

/** The gateway's default symbol master: equities in USD, crypto in USDT. */
export const DEFAULT_CURRENCIES: Readonly<Record<string, string>> = {
  AAPL: 'USD',
  MSFT: 'USD',
  NVDA: 'USD',
  BTC: 'USDT',
  ETH: 'USDT',
  SOL: 'USDT',
};

const SYMBOL_RE = /^[A-Z0-9_.-]{1,16}$/;
const CURRENCY_RE = /^[A-Z0-9]{1,12}$/;
const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

function parseCurrencies(env: Env): Map<string, string> {
  const name = 'BACKOFFICE_SYMBOL_CURRENCIES';
  const out = new Map<string, string>(Object.entries(DEFAULT_CURRENCIES));
  for (const entry of list(env, name)) {
    const [sym, cur, ...rest] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (rest.length > 0 || sym === undefined || cur === undefined || !SYMBOL_RE.test(sym) || !CURRENCY_RE.test(cur)) {
      throw new ConfigError(name, `bad entry ${JSON.stringify(entry)}; expected SYMBOL:CURRENCY`);
    }
    out.set(sym, cur);
  }
  return out;
}

function parseUrl(env: Env, name: string, def: string, protocols: readonly string[]): string {
  const v = str(env, name, def);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expected a URL, got ${JSON.stringify(v)}`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${JSON.stringify(v)}`);
  return v.replace(/\/+$/, '');
}

function parseCors(env: Env): '*' | string[] {
  const origins = list(env, 'BACKOFFICE_CORS_ORIGINS');
  if (origins.length === 0 || origins.includes('*')) return '*';
  for (const o of origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (u === undefined || u.origin !== o) {
      throw new ConfigError('BACKOFFICE_CORS_ORIGINS', `expected origins such as http://localhost:8081 (scheme, host, port; no path), got ${JSON.stringify(o)}`);
    }
  }
  return origins;
}

export function loadBackofficeConfig(env: Env = process.env): BackofficeConfig {
  const kafka = raw(env, 'KAFKA_ENABLE');
  if (kafka !== undefined && bool(env, 'KAFKA_ENABLE', false)) {
    throw new ConfigError('KAFKA_ENABLE', 'Kafka is not supported; use BUS_KIND=nats (KAFKA_ENABLE=0 means bus off)');
  }
  const feeText = str(env, 'BACKOFFICE_FEE_BPS', '1');
  const feeBps4 = parseBps(feeText);
  if (feeBps4 === undefined) {
    throw new ConfigError('BACKOFFICE_FEE_BPS', `expected a number of basis points from 0 to 10000 with at most 4 decimals, got ${JSON.stringify(feeText)}`);
  }
  const defaultCurrency = str(env, 'BACKOFFICE_DEFAULT_CURRENCY', 'USD').toUpperCase();
  if (!CURRENCY_RE.test(defaultCurrency)) throw new ConfigError('BACKOFFICE_DEFAULT_CURRENCY', `expected 1-12 of A-Z 0-9, got ${JSON.stringify(defaultCurrency)}`);

  const dbUrl = raw(env, 'BACKOFFICE_DATABASE_URL');
  if (dbUrl !== undefined) parseUrl(env, 'BACKOFFICE_DATABASE_URL', dbUrl, ['postgres:', 'postgresql:']);
  const dataDir = resolve(str(env, 'GATEWAY_DATA_DIR', './var/data'));

  const consumer = str(env, 'BACKOFFICE_CONSUMER', 'backoffice');
  if (!NAME_RE.test(consumer)) throw new ConfigError('BACKOFFICE_CONSUMER', `expected 1-64 of A-Z a-z 0-9 _ -, got ${JSON.stringify(consumer)}`);
  const retryMinMs = int(env, 'BACKOFFICE_RETRY_MIN_MS', 100, { min: 1, max: 60_000 });
  const retryMaxMs = int(env, 'BACKOFFICE_RETRY_MAX_MS', 5_000, { min: 1, max: 600_000 });
  if (retryMaxMs < retryMinMs) throw new ConfigError('BACKOFFICE_RETRY_MAX_MS', `must be >= BACKOFFICE_RETRY_MIN_MS (${retryMinMs}), got ${retryMaxMs}`);

  return {
    host: str(env, 'BACKOFFICE_HOST', '0.0.0.0'),
    port: int(env, 'BACKOFFICE_PORT', 8082, { min: 0, max: 65535 }),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    auth: {
      secret: raw(env, 'JWT_HS256_SECRET'),
      issuer: raw(env, 'JWT_ISSUER'),
      audience: raw(env, 'JWT_AUDIENCE'),
      clockSkewSec: int(env, 'JWT_CLOCK_SKEW_SEC', 30, { min: 0, max: 3600 }),
      cacheSize: int(env, 'JWT_CACHE_SIZE', 10_000, { min: 1 }),
    },
    corsOrigins: parseCors(env),
    storage: dbUrl !== undefined ? { kind: 'postgres', url: dbUrl } : { kind: 'pglite', dir: join(dataDir, 'backoffice', 'pglite') },
    booking: { feeBps4, currencies: parseCurrencies(env), defaultCurrency },
    input: {
      kind: oneOf(env, 'BUS_KIND', 'none', ['none', 'nats']),
      natsUrl: str(env, 'NATS_URL', 'nats://127.0.0.1:4222'),
      stream: loadBusStreamConfig(env),
      consumer,
      ackWaitMs: int(env, 'BACKOFFICE_ACK_WAIT_MS', 30_000, { min: 1_000, max: 3_600_000 }),
      pullBatch: int(env, 'BACKOFFICE_PULL_BATCH', 256, { min: 1, max: 10_000 }),
      batchMax: int(env, 'BACKOFFICE_BATCH_MAX', 256, { min: 1, max: 10_000 }),
      gatewayUrl: parseUrl(env, 'BACKOFFICE_GATEWAY_URL', 'http://127.0.0.1:8081', ['http:', 'https:']),
      feedIdleMs: int(env, 'BACKOFFICE_FEED_IDLE_MS', 45_000, { min: 100, max: 3_600_000 }),
      retryMinMs,
      retryMaxMs,
    },
    reconcileIntervalSec: int(env, 'BACKOFFICE_RECONCILE_INTERVAL_SEC', 300, { min: 0, max: 86_400 }),
  };
}

/** The currency a symbol's cash moves in. */
export function currencyOf(cfg: BookingConfig, symbol: string): string {
  return cfg.currencies.get(symbol) ?? cfg.defaultCurrency;
}

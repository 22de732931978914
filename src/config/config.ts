/**
 * Gateway configuration: read once at start-up from environment variables (names and defaults of
 * the original gateway), validated, frozen. A bad value stops the start with a message naming the
 * variable.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { bool, ConfigError, type Env, int, list, num, oneOf, raw, str } from './env.js';
import { compatWarnings } from './compat.js';
import { type DurableConfig, loadDurableConfig } from './durable.js';
import { loadVenuesConfig, type VenuesConfig } from './venues.js';
import { type ConsoleConfig, loadConsoleConfig } from './console.js';
import { type HttpConfig, loadHttpConfig, loadTcpConfig, type TcpConfig } from './transport.js';
import { type CorsConfig, loadCorsConfig, loadSseConfig, type SseConfig } from './sse.js';
import { type BusConfig, loadBusConfig } from './bus.js';
export type { BusConfig } from './bus.js';

export type RiskProfile = 'light' | 'medium' | 'heavy';
export type MarginMode = 'legacy' | 'incremental';

export interface SymbolLimit {
  symbol: string;
  maxQty: number;
  maxNotional: number;
  /** reference price in ticks used by the price collar and to value MARKET orders; 0 = none */
  refPrice: number;
}

/** Per-account limits; every field optional in the accounts file, defaults from the environment. */
export interface AccountLimits {
  maxAbsPositionQty: number;
  creditLimit: number;
  dailyNotionalLimit: number;
  ratePerSec: number;
  rateBurst: number;
  restrictedSymbols: readonly string[];
  /** starting net positions by symbol (positive long, negative short) */
  positions: Readonly<Record<string, number>>;
}

export interface RiskConfig {
  profile: RiskProfile;
  loops: number;
  marginMode: MarginMode;
  maxOrderQty: number;
  maxNotional: number;
  strictSymbols: boolean;
  symbols: ReadonlyMap<string, SymbolLimit>;
  restrictedSymbols: readonly string[];
  /** price collar half-width in percent of the reference price; 0 disables the collar */
  priceCollarPct: number;
  defaults: AccountLimits;
  accounts: ReadonlyMap<string, AccountLimits>;
  accountsFile: string | undefined;
}

export interface FastPathConfig {
  shardCount: number;
  ingressCapacity: number;
  drainEnabled: boolean;
  drainWorkers: number;
  /** FASTPATH_DRAIN_POLL_MS: how long a drain worker sleeps when all its rings are empty */
  drainPollMs: number;
  softRejectPct: number;
  /** V3_HARD_REJECT_PCT: optional third watermark, soft < hard < kill; 0 = none */
  hardRejectPct: number;
  killRejectPct: number;
  killAutoRecover: boolean;
  killRecoverPct: number;
  killRecoverAfterMs: number;
  idempotencyWindow: number;
  /** recent volatile orders kept cancellable by order number / clientOrderId */
  cancelWindow: number;
  /** durable confirmation of /v3 orders */
  confirm: ConfirmConfig;
}

/** Journaling of accepted /v3 orders by the drain side and loss-suspect detection. */
export interface ConfirmConfig {
  /** V3_JOURNAL_ENABLE: journal accepted /v3 orders (`<GATEWAY_DATA_DIR>/v3/shard-<n>`) */
  journalEnabled: boolean;
  /** `<GATEWAY_DATA_DIR>/v3` */
  journalDir: string;
  /** V3_JOURNAL_MAX_WAIT_US: longest wait of a /v3 journal batch for company before its fdatasync */
  journalMaxWaitUs: number;
  /** V3_LOSS_GAP_TIMEOUT_MS: an order not durable this long after it was received is loss-suspect */
  lossGapTimeoutMs: number;
  /** V3_LOSS_SCAN_INTERVAL_MS (effective at least 10) */
  lossScanIntervalMs: number;
  /** V3_LOSS_SCAN_BATCH: orders marked per scan, at most */
  lossScanBatch: number;
  /** V3_LOSS_WINDOW_SEC: sliding window of the escalation counts */
  lossWindowSec: number;
  /** V3_SESSION_/SHARD_/GLOBAL_LOSS_SUSPECT_THRESHOLD */
  sessionThreshold: number;
  shardThreshold: number;
  globalThreshold: number;
  /** V3_JOURNAL_FAILPOINT (tests): '', 'fdatasync-eio' or 'fdatasync-hang' */
  failpoint: string;
}

export interface AuthConfig {
  /** undefined when no secret was configured: the gateway then generates an ephemeral one */
  secret: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  clockSkewSec: number;
  cacheSize: number;
}

export interface GatewayConfig {
  host: string;
  port: number;
  tcpPort: number;
  dataDir: string;
  /** HTTP limits (config/transport.ts) */
  http: HttpConfig;
  /** binary TCP session rules and limits (config/transport.ts) */
  tcp: TcpConfig;
  /** POST /v3/orders parsed straight off the socket (transport/http/fast-lane.ts) */
  httpFastLane: boolean;
  logLevel: string;
  auth: AuthConfig;
  fastPath: FastPathConfig;
  risk: RiskConfig;
  bus: BusConfig;
  /** durable /orders path: journal, idempotency, snapshots, backpressure (config/durable.ts) */
  durable: DurableConfig;
  /** venues and routing (venue/config.ts); no venues with SOR_VENUES=none */
  venues: VenuesConfig;
  /** the operator console at /console (config/console.ts) */
  console: ConsoleConfig;
  /** SSE streams: replay buffers, keep-alives, caps (config/sse.ts) */
  sse: SseConfig;
  /** CORS for browser clients (config/sse.ts) */
  cors: CorsConfig;
  /** the back office `npm start` runs beside the gateway (backoffice/launcher.ts) */
  backoffice: LauncherConfig;
  /** the original's variables set in the environment that do nothing here (config/compat.ts), to log at start */
  compatWarnings: readonly string[];
}

export interface LauncherConfig {
  /** BACKOFFICE_ENABLE: `npm start` starts the back office as a child process (default on) */
  enabled: boolean;
  /** BACKOFFICE_STOP_TIMEOUT_MS: how long shutdown waits for it after SIGTERM before SIGKILL */
  stopTimeoutMs: number;
}

export const PROFILE_LOOPS: Record<RiskProfile, number> = { light: 16, medium: 256, heavy: 2048 };

/** The default symbol master: the original's six symbols, with reference prices in ticks. */
const DEFAULT_REF_PRICES: Record<string, number> = {
  AAPL: 15_000,
  MSFT: 42_000,
  NVDA: 14_000,
  BTC: 9_000_000,
  ETH: 350_000,
  SOL: 20_000,
};

const SYMBOL_RE = /^[A-Z0-9_.-]{1,8}$/;

function parseSymbolLimits(env: Env, maxOrderQty: number, maxNotional: number): Map<string, SymbolLimit> {
  const name = 'V3_RISK_SYMBOL_LIMITS';
  const entries = list(env, name);
  const out = new Map<string, SymbolLimit>();
  if (entries.length === 0) {
    for (const [symbol, refPrice] of Object.entries(DEFAULT_REF_PRICES)) {
      out.set(symbol, { symbol, maxQty: maxOrderQty, maxNotional, refPrice });
    }
    return out;
  }
  for (const entry of entries) {
    const parts = entry.split(':');
    const symbol = (parts[0] ?? '').trim().toUpperCase();
    if (!SYMBOL_RE.test(symbol) || parts.length > 4) {
      throw new ConfigError(name, `bad entry ${JSON.stringify(entry)}; expected SYMBOL[:maxQty[:maxNotional[:refPrice]]]`);
    }
    const field = (i: number, def: number): number => {
      const s = parts[i]?.trim();
      if (s === undefined || s === '') return def;
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
        throw new ConfigError(name, `bad number ${JSON.stringify(s)} in entry ${JSON.stringify(entry)}`);
      }
      return Number(s);
    };
    out.set(symbol, {
      symbol,
      maxQty: Math.min(field(1, maxOrderQty) || maxOrderQty, maxOrderQty),
      maxNotional: Math.min(field(2, maxNotional) || maxNotional, maxNotional),
      refPrice: field(3, DEFAULT_REF_PRICES[symbol] ?? 0),
    });
  }
  return out;
}

const accountLimitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxAbsPositionQty: { type: 'integer', minimum: 0 },
    creditLimit: { type: 'number', minimum: 0 },
    dailyNotionalLimit: { type: 'number', minimum: 0 },
    ratePerSec: { type: 'number', minimum: 0 },
    rateBurst: { type: 'number', minimum: 0 },
    restrictedSymbols: { type: 'array', items: { type: 'string' } },
    positions: { type: 'object', additionalProperties: { type: 'integer' } },
  },
} as const;

const accountsFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    defaults: accountLimitsSchema,
    accounts: { type: 'object', additionalProperties: accountLimitsSchema },
  },
} as const;

type AccountLimitsInput = Partial<AccountLimits>;

function loadAccountsFile(
  path: string,
  envDefaults: AccountLimits,
): { defaults: AccountLimits; accounts: Map<string, AccountLimits> } {
  const name = 'ACCOUNTS_FILE';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(name, `cannot read ${path}: ${(err as Error).message}`);
  }
  const validate = new Ajv({ allErrors: true }).compile(accountsFileSchema);
  if (!validate(parsed)) {
    const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new ConfigError(name, `${path} is not a valid accounts file: ${detail}`);
  }
  const file = parsed as { defaults?: AccountLimitsInput; accounts?: Record<string, AccountLimitsInput> };
  const merge = (base: AccountLimits, over: AccountLimitsInput | undefined): AccountLimits => ({
    ...base,
    ...over,
    restrictedSymbols: (over?.restrictedSymbols ?? base.restrictedSymbols).map((s) => s.toUpperCase()),
    positions: normalisePositions(over?.positions ?? base.positions),
  });
  const defaults = merge(envDefaults, file.defaults);
  const accounts = new Map<string, AccountLimits>();
  for (const [id, limits] of Object.entries(file.accounts ?? {})) accounts.set(id, merge(defaults, limits));
  return { defaults, accounts };
}

function normalisePositions(p: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) out[k.toUpperCase()] = v;
  return out;
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const kafka = raw(env, 'KAFKA_ENABLE');
  if (kafka !== undefined && bool(env, 'KAFKA_ENABLE', false)) {
    throw new ConfigError('KAFKA_ENABLE', 'Kafka is not supported; use BUS_KIND=nats (KAFKA_ENABLE=0 means bus off)');
  }

  const maxOrderQty = int(env, 'MAX_ORDER_QTY', 10_000, { min: 1, max: 0xffff_ffff });
  const maxNotional = num(env, 'MAX_NOTIONAL', 1e9, { min: 1 });
  const profile = oneOf<RiskProfile>(env, 'V3_RISK_PROFILE', 'light', ['light', 'medium', 'heavy']);

  const softRejectPct = int(env, 'V3_SOFT_REJECT_PCT', 85, { min: 1, max: 99 });
  const killRejectPct = int(env, 'V3_KILL_REJECT_PCT', 95, { min: 1, max: 100 });
  if (killRejectPct <= softRejectPct) {
    throw new ConfigError('V3_KILL_REJECT_PCT', `must be greater than V3_SOFT_REJECT_PCT (${softRejectPct}), got ${killRejectPct}`);
  }
  const hardRejectPct = int(env, 'V3_HARD_REJECT_PCT', 0, { min: 0, max: 99 });
  if (hardRejectPct !== 0 && (hardRejectPct <= softRejectPct || hardRejectPct >= killRejectPct)) {
    throw new ConfigError(
      'V3_HARD_REJECT_PCT',
      `must lie between V3_SOFT_REJECT_PCT (${softRejectPct}) and V3_KILL_REJECT_PCT (${killRejectPct}), or be 0 (no hard tier), got ${hardRejectPct}`,
    );
  }
  const killRecoverPct = int(env, 'V3_KILL_RECOVER_PCT', 60, { min: 0, max: 94 });
  if (killRecoverPct >= softRejectPct) {
    throw new ConfigError('V3_KILL_RECOVER_PCT', `must be below V3_SOFT_REJECT_PCT (${softRejectPct}), got ${killRecoverPct}`);
  }

  const shardCount = int(env, 'V3_SHARD_COUNT', 4, { min: 1, max: 64 });
  const dataDir = resolve(str(env, 'GATEWAY_DATA_DIR', './var/data'));
  const ratePerSec = num(env, 'RISK_RATE_PER_SEC', 0, { min: 0 });
  const envDefaults: AccountLimits = {
    maxAbsPositionQty: int(env, 'V3_RISK_MAX_ABS_POSITION_QTY', maxOrderQty * 10_000, { min: 0 }),
    creditLimit: num(env, 'V3_RISK_CREDIT_LIMIT', maxNotional * 1000, { min: 0 }),
    dailyNotionalLimit: num(env, 'V3_RISK_DAILY_NOTIONAL_LIMIT', maxNotional * 1000, { min: 0 }),
    ratePerSec,
    rateBurst: num(env, 'RISK_RATE_BURST', ratePerSec, { min: 0 }),
    restrictedSymbols: [],
    positions: {},
  };
  const accountsFile = raw(env, 'ACCOUNTS_FILE');
  const { defaults, accounts } = accountsFile
    ? loadAccountsFile(resolve(accountsFile), envDefaults)
    : { defaults: envDefaults, accounts: new Map<string, AccountLimits>() };

  const secret = raw(env, 'JWT_HS256_SECRET');

  const config: GatewayConfig = {
    host: str(env, 'GATEWAY_HOST', '0.0.0.0'),
    port: int(env, 'GATEWAY_PORT', 8081, { min: 0, max: 65535 }),
    tcpPort: int(env, 'GATEWAY_TCP_PORT', 9001, { min: 0, max: 65535 }),
    dataDir: resolve(str(env, 'GATEWAY_DATA_DIR', './var/data')),
    http: loadHttpConfig(env),
    tcp: loadTcpConfig(env),
    httpFastLane: bool(env, 'HTTP_FAST_LANE', true),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    auth: {
      secret,
      issuer: raw(env, 'JWT_ISSUER'),
      audience: raw(env, 'JWT_AUDIENCE'),
      clockSkewSec: int(env, 'JWT_CLOCK_SKEW_SEC', 30, { min: 0, max: 3600 }),
      cacheSize: int(env, 'JWT_CACHE_SIZE', 10_000, { min: 1 }),
    },
    fastPath: {
      shardCount,
      ingressCapacity: int(env, 'V3_INGRESS_QUEUE_CAPACITY', 65_536, { min: 2, max: 1 << 22 }),
      drainEnabled: bool(env, 'FASTPATH_DRAIN_ENABLE', true),
      drainWorkers: int(env, 'FASTPATH_DRAIN_WORKERS', 1, { min: 1, max: 64 }),
      drainPollMs: int(env, 'FASTPATH_DRAIN_POLL_MS', 1, { min: 1, max: 100 }),
      softRejectPct,
      hardRejectPct,
      killRejectPct,
      killAutoRecover: bool(env, 'V3_KILL_AUTO_RECOVER', true),
      killRecoverPct,
      killRecoverAfterMs: int(env, 'V3_KILL_RECOVER_AFTER_MS', 3000, { min: 0 }),
      idempotencyWindow: int(env, 'V3_IDEMPOTENCY_WINDOW', 65_536, { min: 0, max: 1 << 24 }),
      cancelWindow: int(env, 'V3_CANCEL_WINDOW', 1 << 20, { min: 1, max: 1 << 24 }),
      confirm: {
        journalEnabled: bool(env, 'V3_JOURNAL_ENABLE', true),
        journalDir: join(dataDir, 'v3'),
        journalMaxWaitUs: int(env, 'V3_JOURNAL_MAX_WAIT_US', 5000, { min: 0, max: 1_000_000 }),
        lossGapTimeoutMs: int(env, 'V3_LOSS_GAP_TIMEOUT_MS', 500, { min: 1 }),
        lossScanIntervalMs: Math.max(10, int(env, 'V3_LOSS_SCAN_INTERVAL_MS', 50, { min: 1 })),
        lossScanBatch: int(env, 'V3_LOSS_SCAN_BATCH', 2048, { min: 1 }),
        lossWindowSec: int(env, 'V3_LOSS_WINDOW_SEC', 60, { min: 1 }),
        sessionThreshold: int(env, 'V3_SESSION_LOSS_SUSPECT_THRESHOLD', 1, { min: 1 }),
        shardThreshold: int(env, 'V3_SHARD_LOSS_SUSPECT_THRESHOLD', 3, { min: 1 }),
        globalThreshold: int(env, 'V3_GLOBAL_LOSS_SUSPECT_THRESHOLD', 6, { min: 1 }),
        failpoint: oneOf(env, 'V3_JOURNAL_FAILPOINT', '', ['', 'fdatasync-eio', 'fdatasync-hang']),
      },
    },
    risk: {
      profile,
      loops: int(env, 'V3_RISK_LOOPS', PROFILE_LOOPS[profile], { min: 0, max: 100_000_000 }),
      marginMode: oneOf<MarginMode>(env, 'V3_RISK_MARGIN_MODE', 'legacy', ['legacy', 'incremental']),
      maxOrderQty,
      maxNotional,
      strictSymbols: bool(env, 'V3_RISK_STRICT_SYMBOLS', true),
      symbols: parseSymbolLimits(env, maxOrderQty, maxNotional),
      restrictedSymbols: list(env, 'V3_RISK_RESTRICTED_SYMBOLS').map((s) => s.toUpperCase()),
      priceCollarPct: num(env, 'V3_RISK_PRICE_COLLAR_PCT', 10, { min: 0, max: 1000 }),
      defaults,
      accounts,
      accountsFile,
    },
    bus: loadBusConfig(env),
    durable: loadDurableConfig(env, dataDir),
    venues: loadVenuesConfig(env, dataDir),
    console: loadConsoleConfig(env),
    sse: loadSseConfig(env),
    cors: loadCorsConfig(env),
    backoffice: {
      enabled: bool(env, 'BACKOFFICE_ENABLE', true),
      stopTimeoutMs: int(env, 'BACKOFFICE_STOP_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    },
    compatWarnings: compatWarnings(env),
  };
  return config;
}

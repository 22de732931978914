/**
 * Configuration of the durable `/orders` path: journal (group commit, HMAC keys), idempotency,
 * snapshots and backpressure. Part of {@link GatewayConfig} as `durable`.
 */
import { join } from 'node:path';
import { parseKeySpec } from '../lib/key-spec.js';
import { bool, ConfigError, type Env, int, num, oneOf, raw } from './env.js';

export interface DurableConfig {
  /** `<GATEWAY_DATA_DIR>/journal`: segment files */
  journalDir: string;
  /** `<GATEWAY_DATA_DIR>/snapshots` */
  snapshotDir: string;
  /** `<GATEWAY_DATA_DIR>/audit-hmac.key`: generated key when none is configured */
  generatedKeyFile: string;
  /** AUDIT_FDATASYNC: fdatasync each batch before acknowledging (off only for benchmarks) */
  fsync: boolean;
  /** AUDIT_FDATASYNC_MAX_WAIT_US: longest wait of a batch's first record for company */
  maxBatchDelayUs: number;
  /** AUDIT_FDATASYNC_MAX_BATCH: records per batch (0 = bounded by bytes only) */
  maxBatchRecords: number;
  /** AUDIT_FDATASYNC_MAX_BATCH_BYTES */
  maxBatchBytes: number;
  /** AUDIT_SYNC_METHOD: `fdatasync` (write, then fdatasync) or `open_dsync` (segments opened O_DSYNC) */
  syncMethod: 'fdatasync' | 'dsync';
  /** AUDIT_IO: journal writes on a dedicated I/O thread ('thread') or the libuv pool ('pool') */
  io: 'thread' | 'pool';
  /** AUDIT_FAILPOINT (tests): '' or 'fdatasync-eio' (every fdatasync of the journal fails) */
  failpoint: '' | 'fdatasync-eio';
  /** AUDIT_SEGMENT_BYTES: segment rotation size */
  segmentBytes: number;
  /**
   * HMAC keys from AUDIT_HMAC_KEYS (or AUDIT_HMAC_KEY as id `key-1`); null when none is
   * configured: the gateway then generates one and keeps it in `generatedKeyFile`.
   */
  keys: Map<string, Buffer> | null;
  /** AUDIT_KEY_ID: key chaining new records (default: the last key listed) */
  activeKeyId: string | undefined;
  /** IDEMPOTENCY_TTL_SEC (0 = keys never expire) */
  idempotencyTtlSec: number;
  /** SNAPSHOT_EVERY_RECORDS (0 = no snapshots) */
  snapshotEveryRecords: number;
  /** SNAPSHOT_KEEP */
  snapshotKeep: number;
  /**
   * SNAPSHOT_RETAIN_TERMINAL_SEC: how long a terminal order (FILLED, CANCELED, REJECTED, EXPIRED)
   * stays in snapshots after its last update, so that it is still readable after a restart
   * (an order whose idempotency key is still within IDEMPOTENCY_TTL_SEC is kept too).
   */
  snapshotRetainTerminalSec: number;
  /** BACKPRESSURE_INFLIGHT_MAX: orders appended but not yet durable (0 = no cap) → 429 */
  inflightMax: number;
  /** BACKPRESSURE_WAL_AGE_MS_MAX: age of the oldest record not yet durable (0 = off) → 503 */
  walAgeMsMax: number;
  /** BACKPRESSURE_SOFT_WAL_AGE_MS_MAX (0 = off) → 429 */
  softWalAgeMsMax: number;
  /** BACKPRESSURE_WAL_BYTES_MAX: journal bytes not yet durable (0 = off) → 503 */
  walBytesMax: number;
  /** BACKPRESSURE_DISK_FREE_PCT_MIN: free space of the journal's file system (0 = off) → 503 */
  diskFreePctMin: number;
  /**
   * JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: start even when the HMAC chain of the records replayed at
   * start-up is broken (each break is logged as an error); default false: refuse to start.
   */
  recoveryAllowBrokenChain: boolean;
}

function loadKeys(env: Env): { keys: Map<string, Buffer> | null; activeKeyId: string | undefined } {
  const list = raw(env, 'AUDIT_HMAC_KEYS');
  let keys: Map<string, Buffer> | null = null;
  if (list !== undefined) {
    try {
      keys = parseKeySpec(list);
    } catch (err) {
      throw new ConfigError('AUDIT_HMAC_KEYS', (err as Error).message);
    }
    if (keys.size === 0) throw new ConfigError('AUDIT_HMAC_KEYS', 'no key listed');
    for (const id of keys.keys()) {
      if (Buffer.byteLength(id) > 255) throw new ConfigError('AUDIT_HMAC_KEYS', `key id ${JSON.stringify(id.slice(0, 20))}... is longer than 255 bytes`);
    }
  } else {
    const one = env.AUDIT_HMAC_KEY;
    if (one !== undefined && one !== '') keys = new Map([['key-1', Buffer.from(one, 'utf8')]]);
  }
  const active = raw(env, 'AUDIT_KEY_ID');
  if (active !== undefined) {
    if (keys === null) throw new ConfigError('AUDIT_KEY_ID', 'set, but no key is configured (AUDIT_HMAC_KEYS or AUDIT_HMAC_KEY)');
    if (!keys.has(active)) throw new ConfigError('AUDIT_KEY_ID', `${JSON.stringify(active)} is not one of the configured keys (${[...keys.keys()].join(', ')})`);
  }
  return { keys, activeKeyId: active ?? (keys === null ? undefined : [...keys.keys()].pop()) };
}

export function loadDurableConfig(env: Env, dataDir: string): DurableConfig {
  const { keys, activeKeyId } = loadKeys(env);
  return {
    journalDir: join(dataDir, 'journal'),
    snapshotDir: join(dataDir, 'snapshots'),
    generatedKeyFile: join(dataDir, 'audit-hmac.key'),
    fsync: bool(env, 'AUDIT_FDATASYNC', true),
    maxBatchDelayUs: int(env, 'AUDIT_FDATASYNC_MAX_WAIT_US', 200, { min: 0, max: 1_000_000 }),
    maxBatchRecords: int(env, 'AUDIT_FDATASYNC_MAX_BATCH', 0, { min: 0, max: 1_000_000 }),
    maxBatchBytes: int(env, 'AUDIT_FDATASYNC_MAX_BATCH_BYTES', 1 << 20, { min: 4096, max: 64 << 20 }),
    syncMethod: oneOf(env, 'AUDIT_SYNC_METHOD', 'open_dsync', ['fdatasync', 'open_dsync']) === 'open_dsync' ? 'dsync' : 'fdatasync',
    io: oneOf(env, 'AUDIT_IO', 'thread', ['thread', 'pool']),
    failpoint: oneOf(env, 'AUDIT_FAILPOINT', '', ['', 'fdatasync-eio']),
    segmentBytes: int(env, 'AUDIT_SEGMENT_BYTES', 64 << 20, { min: 4096, max: 2 ** 40 }),
    keys,
    activeKeyId,
    idempotencyTtlSec: int(env, 'IDEMPOTENCY_TTL_SEC', 86_400, { min: 0, max: 10 * 365 * 86_400 }),
    snapshotEveryRecords: int(env, 'SNAPSHOT_EVERY_RECORDS', 100_000, { min: 0 }),
    snapshotKeep: int(env, 'SNAPSHOT_KEEP', 2, { min: 1, max: 100 }),
    snapshotRetainTerminalSec: int(env, 'SNAPSHOT_RETAIN_TERMINAL_SEC', 86_400, { min: 0, max: 10 * 365 * 86_400 }),
    inflightMax: int(env, 'BACKPRESSURE_INFLIGHT_MAX', 10_000, { min: 0 }),
    walAgeMsMax: int(env, 'BACKPRESSURE_WAL_AGE_MS_MAX', 0, { min: 0 }),
    softWalAgeMsMax: int(env, 'BACKPRESSURE_SOFT_WAL_AGE_MS_MAX', 0, { min: 0 }),
    walBytesMax: int(env, 'BACKPRESSURE_WAL_BYTES_MAX', 0, { min: 0 }),
    diskFreePctMin: num(env, 'BACKPRESSURE_DISK_FREE_PCT_MIN', 0, { min: 0, max: 100 }),
    recoveryAllowBrokenChain: bool(env, 'JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN', false),
  };
}

/**
 * The original gateway's environment variables that have no setting of the same meaning here.
 * Every variable of the original is either parsed by this configuration (config.ts, durable.ts,
 * transport.ts, venues.ts) or listed below, so none is ignored silently:
 *
 *  - `warn`: set, it changes nothing here; the start-up log names it and says why (once each).
 *  - `refuse`: set (to a value that asks for the feature), the start stops with a ConfigError,
 *    because running without what it asks for would be unsafe (orders not sent where expected,
 *    a different audit key).
 *
 * The table is the source of docs/compatibility.md (test/unit/config/compat.test.ts checks both
 * against the original's list, reference §12).
 */
import { ConfigError, type Env, raw } from './env.js';

export interface CompatEntry {
  action: 'warn' | 'refuse';
  /** why it does nothing here, and what to use instead */
  why: string;
  /** a value that asks for what this gateway does anyway: set to it, the variable is not reported */
  same?: (value: string) => boolean;
}

const TRUE = (v: string): boolean => ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
const FALSE = (v: string): boolean => ['0', 'false', 'no', 'off'].includes(v.toLowerCase());

const WAL_PATH = 'the journal is a directory of segments under GATEWAY_DATA_DIR (set that instead)';
const ADAPTIVE = 'group commit here is self-clocking (a batch is whatever arrived during the previous sync); see AUDIT_FDATASYNC_MAX_WAIT_US / AUDIT_FDATASYNC_MAX_BATCH(_BYTES)';
const MIRROR = 'no audit mirror: the journal itself is checksummed and HMAC-chained (GET /audit/verify, npm run journal-verify)';
const KAFKA = 'no Kafka producer: the event bus is NATS JetStream (BUS_KIND=nats, NATS_URL)';
const OUTBOX = 'the NATS relay always reads the journal (outbox semantics); its position is kept by JetStream';
const INFLIGHT = 'no dynamic inflight controller: BACKPRESSURE_INFLIGHT_MAX is a static cap (429 BACKPRESSURE_INFLIGHT_SOFT)';

export const COMPAT: Readonly<Record<string, CompatEntry>> = {
  QUEUE_CAPACITY: { action: 'warn', why: 'there is no single FastPath queue: the ingress rings are sized by V3_INGRESS_QUEUE_CAPACITY (per shard)' },
  EXCHANGE_TCP_HOST: { action: 'refuse', why: 'the original JSON-over-TCP exchange link does not exist; venues are configured with SOR_VENUES (embedded simulator or FIX 4.4), see docs/venues.md' },
  EXCHANGE_TCP_PORT: { action: 'warn', why: 'venues are configured with SOR_VENUES (see docs/venues.md)' },
  EXCHANGE_WORKERS: { action: 'warn', why: 'venues are configured with SOR_VENUES (see docs/venues.md)' },
  ORDER_STORE_SHARDS: { action: 'warn', why: 'the durable order store is one single-writer store; nothing to shard' },
  GATEWAY_WAL_PATH: { action: 'warn', why: WAL_PATH },
  GATEWAY_AUDIT_PATH: { action: 'warn', why: WAL_PATH },
  AUDIT_ASYNC_WAL: { action: 'warn', why: 'journal writes are always batched off the request path (AUDIT_IO=thread|pool) and /orders acks always wait for durability', same: TRUE },
  AUDIT_FDATASYNC_ADAPTIVE: { action: 'warn', why: ADAPTIVE, same: FALSE },
  AUDIT_FDATASYNC_ADAPTIVE_MIN_WAIT_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_ADAPTIVE_MAX_WAIT_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_ADAPTIVE_MIN_BATCH: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_ADAPTIVE_MAX_BATCH: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_ADAPTIVE_TARGET_SYNC_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_COALESCE_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_COALESCE_MIN_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_COALESCE_MAX_US: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_COALESCE_MAX_EVENTS: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_TARGET_BATCH_BYTES: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_TARGET_BATCH_BYTES_MIN: { action: 'warn', why: ADAPTIVE },
  AUDIT_FDATASYNC_TARGET_BATCH_BYTES_MAX: { action: 'warn', why: ADAPTIVE },
  AUDIT_KMS_CIPHERTEXT_B64: { action: 'refuse', why: 'no KMS decryption: give the audit key with AUDIT_HMAC_KEYS (or let the gateway generate one into the data directory)' },
  AUDIT_KMS_KEY_ID: { action: 'warn', why: 'no KMS: key ids come from AUDIT_HMAC_KEYS / AUDIT_KEY_ID' },
  AUDIT_HASH_PATH: { action: 'warn', why: 'the chain head is kept in the journal records themselves (GET /audit/anchor)' },
  AUDIT_ANCHOR_PATH: { action: 'warn', why: 'the chain head is kept in the journal records themselves (GET /audit/anchor)' },
  AUDIT_ANCHOR_EXPORT_DIR: { action: 'warn', why: 'no daily anchor files: read GET /audit/anchor' },
  AUDIT_MIRROR_ENABLE: { action: 'warn', why: MIRROR, same: FALSE },
  AUDIT_LOG_PATH: { action: 'warn', why: 'the /events routes read the journal itself' },
  AUDIT_MIRROR_PATH: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_OFFSET_PATH: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_HASH_PATH: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_ANCHOR_PATH: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_ANCHOR_EXPORT_DIR: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_BACKOFF_BASE_MS: { action: 'warn', why: MIRROR },
  AUDIT_MIRROR_BACKOFF_MAX_MS: { action: 'warn', why: MIRROR },
  BUS_MODE: { action: 'warn', why: OUTBOX, same: (v) => v.toLowerCase() === 'outbox' },
  KAFKA_BOOTSTRAP_SERVERS: { action: 'warn', why: KAFKA },
  KAFKA_TOPIC: { action: 'warn', why: KAFKA },
  KAFKA_CLIENT_ID: { action: 'warn', why: KAFKA },
  KAFKA_QUEUE_CAPACITY: { action: 'warn', why: KAFKA },
  OUTBOX_OFFSET_PATH: { action: 'warn', why: OUTBOX },
  OUTBOX_BACKOFF_BASE_MS: { action: 'warn', why: OUTBOX },
  OUTBOX_BACKOFF_MAX_MS: { action: 'warn', why: OUTBOX },
  SSE_DISPATCH_QUEUE_CAPACITY: { action: 'warn', why: 'no dispatch queue: the event hub hands each event to the streams as it is journaled; a slow stream is bounded by SSE_MAX_WRITE_BUFFER_BYTES' },
  BACKPRESSURE_INFLIGHT_DYNAMIC: { action: 'warn', why: INFLIGHT, same: FALSE },
  BACKPRESSURE_INFLIGHT_TICK_MS: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_TARGET_WAL_AGE_SEC: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_ALPHA: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_BETA: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_MIN: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_CAP: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_INITIAL: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_SLEW_RATIO: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_HYSTERESIS_OFF_RATIO: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_DECLINE_RATIO: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_DECLINE_STREAK: { action: 'warn', why: INFLIGHT },
  BACKPRESSURE_INFLIGHT_REJECT_BETA: { action: 'warn', why: INFLIGHT },
  V2_DURABLE_WAIT_TIMEOUT_MS: { action: 'warn', why: 'there is no /v2 route: POST /orders answers once the order is durable, with no timeout answer' },
  V3_DURABILITY_QUEUE_CAPACITY: { action: 'warn', why: 'no separate durability queue: the drain workers journal straight from the ingress rings (V3_INGRESS_QUEUE_CAPACITY)' },
  RUST_LOG: { action: 'warn', why: 'use LOG_LEVEL (fatal|error|warn|info|debug|trace|silent)' },
  GATEWAY_METRICS_TOKEN: { action: 'warn', why: '/metrics is unauthenticated, as in the original (bind GATEWAY_HOST or firewall it)' },
};

/** Warnings for the original's variables set in `env` that do nothing here; throws for refused ones. */
export function compatWarnings(env: Env): string[] {
  const out: string[] = [];
  for (const [name, e] of Object.entries(COMPAT)) {
    const v = raw(env, name);
    if (v === undefined || e.same?.(v) === true) continue;
    if (e.action === 'refuse') throw new ConfigError(name, `not supported: ${e.why}`);
    out.push(`${name}=${v} has no effect here: ${e.why}`);
  }
  return out;
}


/**
 * Every environment variable of the original gateway (reference §12) is either parsed by the
 * configuration or listed in config/compat.ts (warned about or refused by name at start-up), and
 * docs/compatibility.md lists every one of them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMPAT, compatWarnings } from '../../../src/config/compat.js';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/config/env.js';
import { ROOT } from '../../helpers/gateway.js';

/** Reference §12, with the `…_X` shorthands of its table spelled out. */
export const REFERENCE_ENV = `
GATEWAY_PORT GATEWAY_TCP_PORT QUEUE_CAPACITY MAX_ORDER_QTY MAX_NOTIONAL EXCHANGE_TCP_HOST EXCHANGE_TCP_PORT
EXCHANGE_WORKERS FASTPATH_DRAIN_ENABLE FASTPATH_DRAIN_WORKERS IDEMPOTENCY_TTL_SEC ORDER_STORE_SHARDS JWT_HS256_SECRET
JWT_ISSUER JWT_AUDIENCE JWT_CLOCK_SKEW_SEC GATEWAY_WAL_PATH GATEWAY_AUDIT_PATH AUDIT_ASYNC_WAL AUDIT_FDATASYNC
AUDIT_FDATASYNC_MAX_WAIT_US AUDIT_FDATASYNC_MAX_BATCH AUDIT_FDATASYNC_ADAPTIVE AUDIT_FDATASYNC_ADAPTIVE_MIN_WAIT_US
AUDIT_FDATASYNC_ADAPTIVE_MAX_WAIT_US AUDIT_FDATASYNC_ADAPTIVE_MIN_BATCH AUDIT_FDATASYNC_ADAPTIVE_MAX_BATCH
AUDIT_FDATASYNC_ADAPTIVE_TARGET_SYNC_US AUDIT_FDATASYNC_COALESCE_US AUDIT_FDATASYNC_COALESCE_MIN_US
AUDIT_FDATASYNC_COALESCE_MAX_US AUDIT_FDATASYNC_TARGET_BATCH_BYTES AUDIT_FDATASYNC_TARGET_BATCH_BYTES_MIN
AUDIT_FDATASYNC_TARGET_BATCH_BYTES_MAX AUDIT_HMAC_KEYS AUDIT_HMAC_KEY AUDIT_KEY_ID AUDIT_KMS_CIPHERTEXT_B64
AUDIT_KMS_KEY_ID AUDIT_HASH_PATH AUDIT_ANCHOR_PATH AUDIT_ANCHOR_EXPORT_DIR AUDIT_MIRROR_ENABLE AUDIT_LOG_PATH
AUDIT_MIRROR_PATH AUDIT_MIRROR_OFFSET_PATH AUDIT_MIRROR_HASH_PATH AUDIT_MIRROR_ANCHOR_PATH
AUDIT_MIRROR_ANCHOR_EXPORT_DIR AUDIT_MIRROR_BACKOFF_BASE_MS AUDIT_MIRROR_BACKOFF_MAX_MS BUS_MODE KAFKA_ENABLE
KAFKA_BOOTSTRAP_SERVERS KAFKA_TOPIC KAFKA_CLIENT_ID OUTBOX_OFFSET_PATH OUTBOX_BACKOFF_BASE_MS OUTBOX_BACKOFF_MAX_MS
SSE_BUFFER_SIZE RISK_RATE_PER_SEC RISK_RATE_BURST BACKPRESSURE_INFLIGHT_MAX BACKPRESSURE_WAL_BYTES_MAX
BACKPRESSURE_WAL_AGE_MS_MAX BACKPRESSURE_SOFT_WAL_AGE_MS_MAX BACKPRESSURE_DISK_FREE_PCT_MIN
BACKPRESSURE_INFLIGHT_DYNAMIC BACKPRESSURE_INFLIGHT_TICK_MS BACKPRESSURE_INFLIGHT_TARGET_WAL_AGE_SEC
BACKPRESSURE_INFLIGHT_ALPHA BACKPRESSURE_INFLIGHT_BETA BACKPRESSURE_INFLIGHT_MIN BACKPRESSURE_INFLIGHT_CAP
BACKPRESSURE_INFLIGHT_INITIAL BACKPRESSURE_INFLIGHT_SLEW_RATIO BACKPRESSURE_INFLIGHT_HYSTERESIS_OFF_RATIO
BACKPRESSURE_INFLIGHT_DECLINE_RATIO BACKPRESSURE_INFLIGHT_DECLINE_STREAK BACKPRESSURE_INFLIGHT_REJECT_BETA
V2_DURABLE_WAIT_TIMEOUT_MS V3_SHARD_COUNT V3_INGRESS_QUEUE_CAPACITY V3_DURABILITY_QUEUE_CAPACITY V3_SOFT_REJECT_PCT
V3_HARD_REJECT_PCT V3_KILL_REJECT_PCT V3_KILL_AUTO_RECOVER V3_KILL_RECOVER_PCT V3_KILL_RECOVER_AFTER_MS
V3_LOSS_GAP_TIMEOUT_MS V3_LOSS_SCAN_INTERVAL_MS V3_LOSS_SCAN_BATCH V3_LOSS_WINDOW_SEC
V3_SESSION_LOSS_SUSPECT_THRESHOLD V3_SHARD_LOSS_SUSPECT_THRESHOLD V3_GLOBAL_LOSS_SUSPECT_THRESHOLD V3_RISK_PROFILE
V3_RISK_LOOPS V3_RISK_MARGIN_MODE V3_RISK_STRICT_SYMBOLS V3_RISK_SYMBOL_LIMITS V3_RISK_DAILY_NOTIONAL_LIMIT
V3_RISK_MAX_ABS_POSITION_QTY RUST_LOG GATEWAY_METRICS_TOKEN SSE_KEEPALIVE_SEC SSE_DISPATCH_QUEUE_CAPACITY
KAFKA_QUEUE_CAPACITY AUDIT_FDATASYNC_COALESCE_MAX_EVENTS
`.trim().split(/\s+/);

const configDir = join(ROOT, 'src', 'config');
const parsedText = readdirSync(configDir)
  .filter((f) => f.endsWith('.ts') && f !== 'compat.ts')
  .map((f) => readFileSync(join(configDir, f), 'utf8'))
  .join('\n');

describe("the original's environment variables", () => {
  it('the list above holds every name of the reference §12 (when the reference is at hand)', (t) => {
    const ref = join(ROOT, '..', 'shared', 'reference', 'seed-gateway-spec.md');
    if (!existsSync(ref)) return t.skip('reference not present');
    const text = readFileSync(ref, 'utf8');
    const s12 = text.slice(text.indexOf('## 12.'), text.indexOf('## 13.'));
    const names = new Set([...s12.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
    for (const n of names) assert.ok(REFERENCE_ENV.includes(n), `${n} (reference §12) missing from the list`);
  });

  it('each one is parsed by src/config or warned about / refused by name (config/compat.ts)', () => {
    for (const n of REFERENCE_ENV) {
      const parsed = parsedText.includes(`'${n}'`) || parsedText.includes(`env.${n};`);
      const listed = n in COMPAT;
      assert.ok(parsed || listed, `${n} is neither parsed nor in config/compat.ts`);
      assert.ok(!(parsed && listed), `${n} is both parsed and listed as having no effect`);
    }
  });

  it('docs/compatibility.md lists every one of them', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'compatibility.md'), 'utf8');
    for (const n of REFERENCE_ENV) assert.ok(doc.includes(`\`${n}\``), `${n} missing from docs/compatibility.md`);
    for (const n of Object.keys(COMPAT)) assert.ok(doc.includes(`\`${n}\``), `${n} (compat.ts) missing from docs/compatibility.md`);
  });

  it('warns by name for a variable that does nothing here; refuses an unsafe one; quiet when the value matches', () => {
    const w = compatWarnings({ GATEWAY_WAL_PATH: 'var/gateway/audit.log', V3_DURABILITY_QUEUE_CAPACITY: '200000' });
    assert.equal(w.length, 2);
    assert.match(w[0]!, /^GATEWAY_WAL_PATH=var\/gateway\/audit.log has no effect here: .*GATEWAY_DATA_DIR/);
    assert.match(w[1]!, /^V3_DURABILITY_QUEUE_CAPACITY=200000 has no effect here/);
    assert.throws(() => compatWarnings({ EXCHANGE_TCP_HOST: '127.0.0.1' }), (e: unknown) => e instanceof ConfigError && e.variable === 'EXCHANGE_TCP_HOST');
    assert.deepEqual(compatWarnings({ BUS_MODE: 'outbox', AUDIT_ASYNC_WAL: '1', BACKPRESSURE_INFLIGHT_DYNAMIC: 'false' }), []);
    assert.deepEqual(loadConfig({ RUST_LOG: 'info' }).compatWarnings, ['RUST_LOG=info has no effect here: use LOG_LEVEL (fatal|error|warn|info|debug|trace|silent)']);
  });

  it('V3_HARD_REJECT_PCT: an optional tier strictly between the soft and kill watermarks', () => {
    assert.equal(loadConfig({}).fastPath.hardRejectPct, 0);
    assert.equal(loadConfig({ V3_SOFT_REJECT_PCT: '70', V3_HARD_REJECT_PCT: '85', V3_KILL_REJECT_PCT: '95', V3_KILL_RECOVER_PCT: '60' }).fastPath.hardRejectPct, 85);
    assert.throws(() => loadConfig({ V3_HARD_REJECT_PCT: '80' }), /V3_HARD_REJECT_PCT: must lie between V3_SOFT_REJECT_PCT \(85\) and V3_KILL_REJECT_PCT \(95\)/);
    assert.throws(() => loadConfig({ V3_HARD_REJECT_PCT: '95' }), /V3_HARD_REJECT_PCT/);
  });
});

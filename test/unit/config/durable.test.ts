import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/config/env.js';

function failsOn(env: Record<string, string>, variable: string, message?: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable && (message === undefined || message.test(err.message)),
  );
}

describe('configuration: JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN', () => {
  it('is off by default, parsed as a boolean, and refuses anything else by name', () => {
    assert.equal(loadConfig({}).durable.recoveryAllowBrokenChain, false);
    assert.equal(loadConfig({ JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: '1' }).durable.recoveryAllowBrokenChain, true);
    assert.equal(loadConfig({ JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: 'false' }).durable.recoveryAllowBrokenChain, false);
    failsOn({ JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN: 'sometimes' }, 'JOURNAL_RECOVERY_ALLOW_BROKEN_CHAIN');
  });
});

describe('configuration: durable path', () => {
  it('has the defaults', () => {
    const d = loadConfig({ GATEWAY_DATA_DIR: '/data/gw' }).durable;
    assert.equal(d.journalDir, join('/data/gw', 'journal'));
    assert.equal(d.snapshotDir, join('/data/gw', 'snapshots'));
    assert.equal(d.generatedKeyFile, join('/data/gw', 'audit-hmac.key'));
    assert.equal(d.fsync, true);
    assert.equal(d.maxBatchDelayUs, 200);
    assert.equal(d.maxBatchRecords, 0);
    assert.equal(d.maxBatchBytes, 1 << 20);
    assert.equal(d.segmentBytes, 64 << 20);
    assert.equal(d.keys, null);
    assert.equal(d.activeKeyId, undefined);
    assert.equal(d.idempotencyTtlSec, 86_400);
    assert.equal(d.snapshotEveryRecords, 100_000);
    assert.equal(d.snapshotRetainTerminalSec, 86_400);
    assert.equal(d.inflightMax, 10_000);
    assert.deepEqual([d.walAgeMsMax, d.softWalAgeMsMax, d.walBytesMax, d.diskFreePctMin], [0, 0, 0, 0]);
    assert.equal(loadConfig({}).durable.journalDir, resolve('./var/data/journal'));
  });

  it('reads the snapshot retention and refuses a bad one by name', () => {
    assert.equal(loadConfig({ SNAPSHOT_RETAIN_TERMINAL_SEC: '0' }).durable.snapshotRetainTerminalSec, 0);
    assert.equal(loadConfig({ SNAPSHOT_RETAIN_TERMINAL_SEC: '3600' }).durable.snapshotRetainTerminalSec, 3600);
    for (const bad of ['-1', 'day', '1.5']) assert.throws(() => loadConfig({ SNAPSHOT_RETAIN_TERMINAL_SEC: bad }), /SNAPSHOT_RETAIN_TERMINAL_SEC/);
  });

  it('reads the journal knobs', () => {
    const d = loadConfig({
      AUDIT_FDATASYNC: '0',
      AUDIT_FDATASYNC_MAX_WAIT_US: '50',
      AUDIT_FDATASYNC_MAX_BATCH: '128',
      AUDIT_FDATASYNC_MAX_BATCH_BYTES: '65536',
      AUDIT_SEGMENT_BYTES: '1048576',
      IDEMPOTENCY_TTL_SEC: '0',
      SNAPSHOT_EVERY_RECORDS: '0',
      BACKPRESSURE_INFLIGHT_MAX: '5',
      BACKPRESSURE_WAL_AGE_MS_MAX: '1000',
      BACKPRESSURE_SOFT_WAL_AGE_MS_MAX: '500',
      BACKPRESSURE_WAL_BYTES_MAX: '1000000',
      BACKPRESSURE_DISK_FREE_PCT_MIN: '2.5',
    }).durable;
    assert.deepEqual(
      [d.fsync, d.maxBatchDelayUs, d.maxBatchRecords, d.maxBatchBytes, d.segmentBytes, d.idempotencyTtlSec, d.snapshotEveryRecords],
      [false, 50, 128, 65536, 1048576, 0, 0],
    );
    assert.deepEqual([d.inflightMax, d.walAgeMsMax, d.softWalAgeMsMax, d.walBytesMax, d.diskFreePctMin], [5, 1000, 500, 1_000_000, 2.5]);
  });

  it('reads HMAC keys: AUDIT_HMAC_KEYS (last listed is active unless AUDIT_KEY_ID), else AUDIT_HMAC_KEY', () => {
    const a = loadConfig({ AUDIT_HMAC_KEYS: 'old:first,new:base64:c2Vjb25k' }).durable;
    assert.deepEqual([...a.keys!.keys()], ['old', 'new']);
    assert.equal(a.keys!.get('new')!.toString(), 'second');
    assert.equal(a.activeKeyId, 'new');
    assert.equal(loadConfig({ AUDIT_HMAC_KEYS: 'old:first,new:second', AUDIT_KEY_ID: 'old' }).durable.activeKeyId, 'old');
    const b = loadConfig({ AUDIT_HMAC_KEY: 'raw secret' }).durable;
    assert.deepEqual([[...b.keys!.keys()], b.activeKeyId, b.keys!.get('key-1')!.toString()], [['key-1'], 'key-1', 'raw secret']);
  });

  it('refuses bad values, naming the variable', () => {
    failsOn({ AUDIT_FDATASYNC: 'maybe' }, 'AUDIT_FDATASYNC');
    failsOn({ AUDIT_FDATASYNC_MAX_WAIT_US: '-1' }, 'AUDIT_FDATASYNC_MAX_WAIT_US');
    failsOn({ AUDIT_FDATASYNC_MAX_BATCH: 'x' }, 'AUDIT_FDATASYNC_MAX_BATCH');
    failsOn({ AUDIT_FDATASYNC_MAX_BATCH_BYTES: '100' }, 'AUDIT_FDATASYNC_MAX_BATCH_BYTES');
    failsOn({ AUDIT_SEGMENT_BYTES: '10' }, 'AUDIT_SEGMENT_BYTES');
    failsOn({ IDEMPOTENCY_TTL_SEC: '1.5' }, 'IDEMPOTENCY_TTL_SEC');
    failsOn({ SNAPSHOT_EVERY_RECORDS: '-5' }, 'SNAPSHOT_EVERY_RECORDS');
    failsOn({ BACKPRESSURE_INFLIGHT_MAX: 'lots' }, 'BACKPRESSURE_INFLIGHT_MAX');
    failsOn({ BACKPRESSURE_WAL_BYTES_MAX: '1e9x' }, 'BACKPRESSURE_WAL_BYTES_MAX');
    failsOn({ BACKPRESSURE_DISK_FREE_PCT_MIN: '101' }, 'BACKPRESSURE_DISK_FREE_PCT_MIN');
    failsOn({ AUDIT_HMAC_KEYS: 'nocolon' }, 'AUDIT_HMAC_KEYS');
    failsOn({ AUDIT_HMAC_KEYS: 'a:x,a:y' }, 'AUDIT_HMAC_KEYS', /twice/);
    failsOn({ AUDIT_HMAC_KEYS: 'a:base64:!!' }, 'AUDIT_HMAC_KEYS', /base64/);
    failsOn({ AUDIT_HMAC_KEYS: 'a:x', AUDIT_KEY_ID: 'b' }, 'AUDIT_KEY_ID', /not one of/);
    failsOn({ AUDIT_KEY_ID: 'b' }, 'AUDIT_KEY_ID', /no key is configured/);
  });

  it('never puts a secret in an error message', () => {
    try {
      loadConfig({ AUDIT_HMAC_KEYS: 'good:topsecret,bad' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.doesNotMatch(err.message, /topsecret/);
    }
  });
});

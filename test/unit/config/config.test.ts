import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/config/env.js';

function failsOn(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(variable),
  );
}

describe('configuration', () => {
  it('has the original defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8081);
    assert.equal(c.tcpPort, 9001);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.fastPath.ingressCapacity, 65536);
    assert.equal(c.fastPath.drainEnabled, true);
    assert.equal(c.fastPath.softRejectPct, 85);
    assert.equal(c.fastPath.killRejectPct, 95);
    assert.equal(c.fastPath.killAutoRecover, true);
    assert.equal(c.fastPath.killRecoverPct, 60);
    assert.equal(c.fastPath.killRecoverAfterMs, 3000);
    assert.equal(c.risk.profile, 'light');
    assert.equal(c.risk.loops, 16);
    assert.equal(c.risk.marginMode, 'legacy');
    assert.equal(c.risk.maxOrderQty, 10000);
    assert.equal(c.risk.maxNotional, 1e9);
    assert.deepEqual([...c.risk.symbols.keys()], ['AAPL', 'MSFT', 'NVDA', 'BTC', 'ETH', 'SOL']);
    assert.equal(c.bus.kind, 'none');
    assert.equal(c.auth.secret, undefined);
    assert.equal(c.auth.clockSkewSec, 30);
  });

  it('profiles choose the default synthetic work, V3_RISK_LOOPS overrides it', () => {
    assert.equal(loadConfig({ V3_RISK_PROFILE: 'heavy' }).risk.loops, 2048);
    assert.equal(loadConfig({ V3_RISK_PROFILE: 'medium', V3_RISK_LOOPS: '8192' }).risk.loops, 8192);
  });

  it('accepts KAFKA_ENABLE=0 (bus off) and refuses KAFKA_ENABLE=1', () => {
    assert.equal(loadConfig({ KAFKA_ENABLE: '0' }).bus.kind, 'none');
    failsOn({ KAFKA_ENABLE: '1' }, 'KAFKA_ENABLE');
  });

  it('fails naming the variable for invalid values', () => {
    failsOn({ GATEWAY_PORT: 'eighty' }, 'GATEWAY_PORT');
    failsOn({ GATEWAY_PORT: '70000' }, 'GATEWAY_PORT');
    assert.match(loadConfig({ QUEUE_CAPACITY: '65536' }).compatWarnings[0]!, /^QUEUE_CAPACITY=65536 has no effect here/);
    failsOn({ V3_RISK_PROFILE: 'extreme' }, 'V3_RISK_PROFILE');
    failsOn({ V3_RISK_MARGIN_MODE: 'fast' }, 'V3_RISK_MARGIN_MODE');
    failsOn({ V3_KILL_RECOVER_PCT: '95' }, 'V3_KILL_RECOVER_PCT');
    failsOn({ V3_KILL_AUTO_RECOVER: 'maybe' }, 'V3_KILL_AUTO_RECOVER');
    failsOn({ V3_SOFT_REJECT_PCT: '90', V3_KILL_REJECT_PCT: '90' }, 'V3_KILL_REJECT_PCT');
    failsOn({ MAX_NOTIONAL: '1e9x' }, 'MAX_NOTIONAL');
    failsOn({ BUS_KIND: 'kafka' }, 'BUS_KIND');
    failsOn({ V3_RISK_SYMBOL_LIMITS: 'AAPL:abc' }, 'V3_RISK_SYMBOL_LIMITS');
    failsOn({ FASTPATH_DRAIN_WORKERS: '0' }, 'FASTPATH_DRAIN_WORKERS');
  });

  it('parses the symbol master with per-symbol limits capped by the global ones', () => {
    const c = loadConfig({ V3_RISK_SYMBOL_LIMITS: 'aapl:500:2000000:15000,PENNY:20000', MAX_ORDER_QTY: '1000' });
    assert.deepEqual(c.risk.symbols.get('AAPL'), { symbol: 'AAPL', maxQty: 500, maxNotional: 2_000_000, refPrice: 15000 });
    assert.deepEqual(c.risk.symbols.get('PENNY'), { symbol: 'PENNY', maxQty: 1000, maxNotional: 1e9, refPrice: 0 });
  });

  it('reads per-account limits from ACCOUNTS_FILE with env defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-cfg-'));
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify({ defaults: { creditLimit: 5e6 }, accounts: { 'acct-1': { maxAbsPositionQty: 300, restrictedSymbols: ['nvda'], positions: { aapl: 50 } } } }));
    const c = loadConfig({ ACCOUNTS_FILE: file, RISK_RATE_PER_SEC: '100' });
    const a = c.risk.accounts.get('acct-1')!;
    assert.equal(a.maxAbsPositionQty, 300);
    assert.equal(a.creditLimit, 5e6);
    assert.equal(a.ratePerSec, 100);
    assert.deepEqual(a.restrictedSymbols, ['NVDA']);
    assert.deepEqual(a.positions, { AAPL: 50 });
    assert.equal(c.risk.defaults.creditLimit, 5e6);
  });

  it('refuses an accounts file with unknown fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-cfg-'));
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify({ accounts: { a: { creditLimt: 1 } } }));
    failsOn({ ACCOUNTS_FILE: file }, 'ACCOUNTS_FILE');
    failsOn({ ACCOUNTS_FILE: join(dir, 'missing.json') }, 'ACCOUNTS_FILE');
  });
});

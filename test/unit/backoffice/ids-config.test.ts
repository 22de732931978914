import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountFromToken, accountToken, allAccountsFilter, covers, ensureStream, loadBusStreamConfig, streamSpec, subjectFor } from '../../../src/bus/stream.js';
import { ConfigError } from '../../../src/config/env.js';
import { currencyOf, loadBackofficeConfig } from '../../../src/backoffice/config.js';
import { comparePositions, feedCursor, parseEventId, validEventId } from '../../../src/backoffice/domain/event-id.js';
import { eventId } from '../../../src/contract/bus-event.js';

describe('event ids', () => {
  it('parses <gatewayId>.<stream>.<seq>[.<index>], gateway ids with dots included', () => {
    assert.deepEqual(parseEventId(eventId('gw1', 'orders', 42)), { gatewayId: 'gw1', stream: 'orders', seq: 42, index: -1 });
    assert.deepEqual(parseEventId(eventId('gw1', 'v3-0', 7, 3)), { gatewayId: 'gw1', stream: 'v3-0', seq: 7, index: 3 });
    assert.deepEqual(parseEventId('a.b.c.orders.5'), { gatewayId: 'a.b.c', stream: 'orders', seq: 5, index: -1 });
    assert.deepEqual(parseEventId('a.b.orders.5.0'), { gatewayId: 'a.b', stream: 'orders', seq: 5, index: 0 });
    for (const bad of ['', 'orders.5', 'gw..5', 'gw.orders.x', 'gw.orders.5,gw.orders.6', 'gw.or ders.5', 'x'.repeat(300)]) {
      assert.equal(parseEventId(bad), null, bad);
    }
    assert.equal(validEventId('jetstream.S.12'), true);
    assert.equal(validEventId('a,b'), false);
  });

  it('orders positions and builds the feed cursor from the last ids per stream', () => {
    const a = parseEventId('g.orders.5.1')!;
    const b = parseEventId('g.orders.5')!;
    const c = parseEventId('g.orders.6')!;
    assert.ok(comparePositions(b, a) < 0 && comparePositions(a, c) < 0);
    assert.equal(feedCursor(['g.v3-1.9', 'g.orders.6', 'not-an-id']), 'g.orders.6,g.v3-1.9');
    assert.equal(feedCursor([]), '');
  });
});

describe('bus stream', () => {
  const cfg = loadBusStreamConfig({});

  it('defaults and validation', () => {
    assert.deepEqual(cfg, { stream: 'SWITCHYARD_EVENTS', subjectPrefix: 'switchyard.events', dedupWindowMs: 120_000 });
    assert.throws(() => loadBusStreamConfig({ BUS_STREAM: 'a.b' }), ConfigError);
    assert.throws(() => loadBusStreamConfig({ BUS_SUBJECT_PREFIX: 'a.*' }), ConfigError);
    assert.throws(() => loadBusStreamConfig({ BUS_SUBJECT_PREFIX: 'a..b' }), ConfigError);
    assert.throws(() => loadBusStreamConfig({ BUS_DEDUP_WINDOW_MS: '0' }), ConfigError);
    assert.equal(streamSpec(cfg).duplicate_window, 120_000_000_000);
  });

  it('account tokens percent-encode what a subject token cannot hold, reversibly', () => {
    assert.equal(accountToken('acct-1'), 'acct-1');
    assert.equal(accountToken('a.b*c>d e%f'), 'a%2Eb%2Ac%3Ed%20e%25f');
    assert.equal(accountToken('é\t'), '%C3%A9%09');
    for (const id of ['acct-1', 'a.b*c>d e%f', 'é\t', '%41', 'x'.repeat(64)]) {
      const t = accountToken(id);
      assert.match(t, /^[!-)+-\-/-=?-~]+$/);
      assert.equal(accountFromToken(t), id);
    }
    assert.notEqual(accountToken('%41'), accountToken('A'));
    assert.equal(subjectFor(cfg, 'a.b'), 'switchyard.events.a%2Eb');
    assert.equal(allAccountsFilter(cfg), 'switchyard.events.>');
  });

  it('subject coverage with * and >', () => {
    assert.ok(covers('switchyard.events.>', 'switchyard.events.>'));
    assert.ok(covers('switchyard.>', 'switchyard.events.>'));
    assert.ok(covers('>', 'switchyard.events.>'));
    assert.ok(!covers('switchyard.events.*', 'switchyard.events.>'));
    assert.ok(!covers('other.>', 'switchyard.events.>'));
    assert.ok(covers('*.events.>', 'switchyard.events.>'));
  });

  it('ensureStream creates a missing stream, accepts a fitting one, refuses a misfit', async () => {
    const added: unknown[] = [];
    const missing = { streams: { info: async () => Promise.reject(Object.assign(new Error('stream not found'), { code: 10059 })), add: async (c: unknown) => added.push(c) } };
    assert.equal(await ensureStream(missing, cfg), 'created');
    assert.deepEqual(added, [streamSpec(cfg)]);
    const fits = { streams: { info: async () => ({ config: { name: cfg.stream, subjects: ['switchyard.>'], retention: 'limits' as const } }), add: async () => assert.fail('no add') } };
    assert.equal(await ensureStream(fits, cfg), 'present');
    const misfit = { streams: { info: async () => ({ config: { name: cfg.stream, subjects: ['other.>'], retention: 'workqueue' as const } }), add: async () => assert.fail('no add') } };
    await assert.rejects(ensureStream(misfit, cfg), (e: Error & { code?: string }) => e.code === 'STREAM_MISMATCH' && /other/.test(e.message) && /workqueue/.test(e.message));
    const down = { streams: { info: async () => Promise.reject(new Error('timeout')), add: async () => 0 } };
    await assert.rejects(ensureStream(down, cfg), (e: Error & { code?: string; cause?: unknown }) => e.code === 'STREAM_UNAVAILABLE' && e.cause instanceof Error);
  });
});

describe('back office configuration', () => {
  it('defaults', () => {
    const c = loadBackofficeConfig({});
    assert.equal(c.port, 8082);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.corsOrigins, '*');
    assert.equal(c.storage.kind, 'pglite');
    assert.match((c.storage as { dir: string }).dir, /var\/data\/backoffice\/pglite$/);
    assert.equal(c.booking.feeBps4, 10_000n);
    assert.equal(currencyOf(c.booking, 'AAPL'), 'USD');
    assert.equal(currencyOf(c.booking, 'SOL'), 'USDT');
    assert.equal(currencyOf(c.booking, 'ZZZ'), 'USD');
    assert.equal(c.input.kind, 'none');
    assert.equal(c.input.gatewayUrl, 'http://127.0.0.1:8081');
    assert.equal(c.input.consumer, 'backoffice');
    assert.equal(c.input.stream.stream, 'SWITCHYARD_EVENTS');
  });

  it('reads every setting', () => {
    const c = loadBackofficeConfig({
      BACKOFFICE_PORT: '0',
      BACKOFFICE_DATABASE_URL: 'postgres://u@h:5432/db',
      BACKOFFICE_FEE_BPS: '2.5',
      BACKOFFICE_SYMBOL_CURRENCIES: 'aapl:eur, XYZ:CHF',
      BACKOFFICE_CORS_ORIGINS: 'http://localhost:8081,https://ops.example.com',
      BUS_KIND: 'nats',
      BACKOFFICE_GATEWAY_URL: 'http://gw:9000/',
    });
    assert.equal(c.port, 0);
    assert.deepEqual(c.storage, { kind: 'postgres', url: 'postgres://u@h:5432/db' });
    assert.equal(c.booking.feeBps4, 25_000n);
    assert.equal(currencyOf(c.booking, 'AAPL'), 'EUR');
    assert.equal(currencyOf(c.booking, 'XYZ'), 'CHF');
    assert.equal(currencyOf(c.booking, 'BTC'), 'USDT');
    assert.deepEqual(c.corsOrigins, ['http://localhost:8081', 'https://ops.example.com']);
    assert.equal(c.input.kind, 'nats');
    assert.equal(c.input.gatewayUrl, 'http://gw:9000');
  });

  it('refuses bad values by name', () => {
    for (const [name, value] of [
      ['BACKOFFICE_PORT', '70000'],
      ['BACKOFFICE_FEE_BPS', '-1'],
      ['BACKOFFICE_FEE_BPS', '0.00001'],
      ['BACKOFFICE_SYMBOL_CURRENCIES', 'AAPL'],
      ['BACKOFFICE_DATABASE_URL', 'mysql://x'],
      ['BACKOFFICE_CORS_ORIGINS', 'http://x/path'],
      ['BACKOFFICE_GATEWAY_URL', 'ftp://x'],
      ['BACKOFFICE_CONSUMER', 'a.b'],
      ['BUS_KIND', 'kafka'],
      ['KAFKA_ENABLE', '1'],
      ['BACKOFFICE_RETRY_MAX_MS', '10'],
    ]) {
      assert.throws(() => loadBackofficeConfig({ [name]: value }), (e: Error) => e instanceof ConfigError && e.message.startsWith(name), `${name}=${value}`);
    }
    assert.doesNotThrow(() => loadBackofficeConfig({ KAFKA_ENABLE: '0' }));
  });
});

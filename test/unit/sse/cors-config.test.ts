import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/env.js';
import { loadCorsConfig, loadSseConfig } from '../../../src/config/sse.js';
import { allowedOrigin, allowedRequestHeaders, preflight } from '../../../src/transport/http/cors.js';

function failsOn(fn: () => unknown, variable: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ConfigError && err.variable === variable);
}

describe('SSE and CORS configuration', () => {
  it('defaults: the original SSE_BUFFER_SIZE and keep-alive, bounded streams, any origin', () => {
    const s = loadSseConfig({});
    assert.deepEqual(s, { bufferSize: 1000, bufferAccounts: 256, keepAliveMs: 15_000, maxStreams: 10_000, maxStreamsPerAccount: 100, maxWriteBufferBytes: 1 << 20 });
    assert.deepEqual(loadCorsConfig({}), { origins: '*', maxAgeSec: 600 });
  });

  it('reads and validates every setting', () => {
    const s = loadSseConfig({ SSE_BUFFER_SIZE: '5', SSE_BUFFER_ACCOUNTS: '3', SSE_KEEPALIVE_SEC: '0.25', SSE_MAX_STREAMS: '50', SSE_MAX_STREAMS_PER_ACCOUNT: '7', SSE_MAX_WRITE_BUFFER_BYTES: '65536' });
    assert.deepEqual(s, { bufferSize: 5, bufferAccounts: 3, keepAliveMs: 250, maxStreams: 50, maxStreamsPerAccount: 7, maxWriteBufferBytes: 65536 });
    assert.equal(loadSseConfig({ SSE_MAX_STREAMS: '20' }).maxStreamsPerAccount, 20);
    failsOn(() => loadSseConfig({ SSE_BUFFER_SIZE: '0' }), 'SSE_BUFFER_SIZE');
    failsOn(() => loadSseConfig({ SSE_BUFFER_SIZE: 'lots' }), 'SSE_BUFFER_SIZE');
    failsOn(() => loadSseConfig({ SSE_KEEPALIVE_SEC: '0' }), 'SSE_KEEPALIVE_SEC');
    failsOn(() => loadSseConfig({ SSE_MAX_STREAMS: '10', SSE_MAX_STREAMS_PER_ACCOUNT: '11' }), 'SSE_MAX_STREAMS_PER_ACCOUNT');
    failsOn(() => loadSseConfig({ SSE_MAX_WRITE_BUFFER_BYTES: '10' }), 'SSE_MAX_WRITE_BUFFER_BYTES');
    const c = loadCorsConfig({ CORS_ALLOWED_ORIGINS: 'http://localhost:3000, https://ops.example.com', CORS_MAX_AGE_SEC: '60' });
    assert.deepEqual(c, { origins: ['http://localhost:3000', 'https://ops.example.com'], maxAgeSec: 60 });
    assert.deepEqual(loadCorsConfig({ CORS_ALLOWED_ORIGINS: 'none' }).origins, null);
    assert.deepEqual(loadCorsConfig({ CORS_ALLOWED_ORIGINS: '*' }).origins, '*');
    failsOn(() => loadCorsConfig({ CORS_ALLOWED_ORIGINS: 'http://x/path' }), 'CORS_ALLOWED_ORIGINS');
    failsOn(() => loadCorsConfig({ CORS_ALLOWED_ORIGINS: 'http://x:1/' }), 'CORS_ALLOWED_ORIGINS');
    failsOn(() => loadCorsConfig({ CORS_ALLOWED_ORIGINS: 'ftp://x' }), 'CORS_ALLOWED_ORIGINS');
    failsOn(() => loadCorsConfig({ CORS_ALLOWED_ORIGINS: '*,http://x' }), 'CORS_ALLOWED_ORIGINS');
  });
});

describe('CORS decisions', () => {
  const any = { origins: '*' as const, maxAgeSec: 600 };
  const listed = { origins: ['http://a.example'], maxAgeSec: 60 };
  const off = { origins: null, maxAgeSec: 60 };

  it('allowed origin per configuration', () => {
    assert.equal(allowedOrigin(any, 'http://evil.example'), '*');
    assert.equal(allowedOrigin(any, undefined), null);
    assert.equal(allowedOrigin(listed, 'http://a.example'), 'http://a.example');
    assert.equal(allowedOrigin(listed, 'http://b.example'), null);
    assert.equal(allowedOrigin(off, 'http://a.example'), null);
  });

  it('preflights: allowed -> 204 with methods, headers, max-age; refused -> 403 CORS_ORIGIN_NOT_ALLOWED; plain OPTIONS -> 204 Allow', () => {
    const ok = preflight(listed, 'http://a.example', 'POST', 'Authorization, content-type, Idempotency-Key, X-Other');
    assert.equal(ok.status, 204);
    const h = Object.fromEntries(Array.from({ length: ok.headers.length / 2 }, (_, i) => [ok.headers[2 * i], ok.headers[2 * i + 1]]));
    assert.deepEqual(h, {
      'access-control-allow-origin': 'http://a.example',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-max-age': '60',
      'access-control-allow-headers': 'authorization, content-type, idempotency-key',
      vary: 'Origin',
    });
    const bad = preflight(listed, 'http://b.example', 'GET', undefined);
    assert.equal(bad.status, 403);
    assert.equal(bad.body, '{"error":"CORS_ORIGIN_NOT_ALLOWED"}');
    assert.equal(preflight(off, 'http://a.example', 'GET', undefined).status, 403);
    assert.deepEqual(preflight(any, undefined, undefined, undefined), { status: 204, headers: ['allow', 'GET, POST, OPTIONS'], body: '' });
    const star = preflight(any, 'http://x', 'GET', 'last-event-id');
    assert.ok(star.headers.includes('*') && star.headers.includes('last-event-id') && !star.headers.includes('vary'));
  });

  it('request headers: only those the API takes, once each', () => {
    assert.equal(allowedRequestHeaders(undefined), '');
    assert.equal(allowedRequestHeaders('Last-Event-ID, last-event-id,Cookie'), 'last-event-id');
  });
});

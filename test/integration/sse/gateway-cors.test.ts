/**
 * CORS on the real gateway (fast lane in front): preflights answered, browser requests (with an
 * Origin) handed to node:http and answered with CORS headers, configured origins only; and the
 * gateway's SIGTERM ending open SSE streams cleanly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ORDER, post, startGateway, token, type RunningGateway } from '../../helpers/gateway.js';
import { SseClient } from '../../helpers/sse.js';

describe('gateway CORS (default: any origin)', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway();
    tok = await token('cors-acct');
  });
  after(() => gw.stop());

  it('answers the preflight of POST /orders and /v3/orders', async () => {
    for (const path of ['/orders', '/v3/orders', '/stream']) {
      const r = await fetch(gw.base + path, {
        method: 'OPTIONS',
        headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
      });
      assert.equal(r.status, 204, path);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(r.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
      assert.equal(r.headers.get('access-control-allow-headers'), 'authorization, content-type, idempotency-key');
    }
  });

  it('puts CORS headers on orders sent with an Origin; the lane\'s answers without one are unchanged', async () => {
    const withOrigin = await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'c1' }, { 'idempotency-key': 'k1', origin: 'http://app.example' });
    assert.ok(withOrigin.status === 200 || withOrigin.status === 202, withOrigin.text);
    assert.equal(withOrigin.headers.get('access-control-allow-origin'), '*');
    assert.ok((withOrigin.headers.get('access-control-expose-headers') ?? '').includes('idempotent-replayed'));
    const v3 = await post(gw.base, '/v3/orders', tok, { ...ORDER, clientOrderId: 'c2' }, { origin: 'http://app.example' });
    assert.equal(v3.status, 202, v3.text);
    assert.equal(v3.headers.get('access-control-allow-origin'), '*');
    const plain = await post(gw.base, '/v3/orders', tok, { ...ORDER, clientOrderId: 'c3' });
    assert.equal(plain.status, 202);
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
  });

  it('a 401 carries CORS headers too, so a browser can read the reason', async () => {
    const r = await fetch(gw.base + '/stream', { headers: { origin: 'http://app.example' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  });
});

describe('gateway CORS with CORS_ALLOWED_ORIGINS', () => {
  it('allows the listed origins only', async () => {
    const gw = await startGateway({ CORS_ALLOWED_ORIGINS: 'http://a.example' });
    try {
      const ok = await fetch(gw.base + '/orders', { method: 'OPTIONS', headers: { origin: 'http://a.example', 'access-control-request-method': 'POST' } });
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'http://a.example');
      assert.equal(ok.headers.get('vary'), 'Origin');
      const bad = await fetch(gw.base + '/orders', { method: 'OPTIONS', headers: { origin: 'http://b.example', 'access-control-request-method': 'POST' } });
      assert.equal(bad.status, 403);
      assert.deepEqual(await bad.json(), { error: 'CORS_ORIGIN_NOT_ALLOWED' });
      const r = await post(gw.base, '/v3/orders', await token('x'), { ...ORDER, clientOrderId: 'z' }, { origin: 'http://b.example' });
      assert.equal(r.status, 202);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await gw.stop();
    }
  });
});

describe('gateway shutdown with open SSE streams', () => {
  it('SIGTERM ends every stream cleanly and the gateway exits 0', async () => {
    const gw = await startGateway();
    const hdr = { authorization: `Bearer ${await token('sd')}` };
    const streams = await Promise.all([1, 2, 3].map(() => SseClient.open(gw.base, '/stream', hdr)));
    for (const s of streams) assert.equal(s.status, 200);
    const code = await gw.stop();
    assert.equal(code, 0);
    for (const s of streams) {
      await s.until(() => s.ended);
      assert.ok(s.comments.includes('shutdown'));
      assert.equal(s.res.complete, true);
    }
  });
});

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Authenticator, AuthFailure, Principal } from '../../../src/auth/authenticator.js';
import { mintToken } from '../../../src/auth/token.js';

const SECRET = 'secret123';
const cfg = { secret: SECRET, issuer: undefined, audience: undefined, clockSkewSec: 30, cacheSize: 100 };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function sign(header: unknown, payload: unknown, secret = SECRET): string {
  const h = b64(header);
  const p = b64(payload);
  const sig = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

async function errorOf(a: Authenticator, header: string | undefined): Promise<string> {
  const r = await a.verify(header);
  assert.ok(r instanceof AuthFailure, `expected a failure, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('authenticator', () => {
  it('accepts a valid HS256 token: accountId claim, sub as session, roles', async () => {
    const a = new Authenticator(cfg);
    const t = await mintToken({ secret: SECRET, accountId: 'acct-1', sub: 'strat-7', roles: ['admin'] });
    const p = await a.verify(`Bearer ${t}`);
    assert.ok(p instanceof Principal);
    assert.equal(p.accountId, 'acct-1');
    assert.equal(p.sessionId, 'strat-7');
    assert.equal(p.isAdmin, true);
  });

  it('falls back to sub for the account, and the account for the session', async () => {
    const a = new Authenticator(cfg);
    const p = await a.verify(`Bearer ${sign({ alg: 'HS256' }, { sub: 'user_9', exp: now() + 60 })}`);
    assert.ok(p instanceof Principal);
    assert.equal(p.accountId, 'user_9');
    assert.equal(p.sessionId, 'user_9');
    assert.equal(p.isAdmin, false);
  });

  it('caches verified tokens: the second lookup is synchronous and returns the same principal', async () => {
    const a = new Authenticator(cfg);
    const header = `Bearer ${await mintToken({ secret: SECRET, accountId: 'acct-1' })}`;
    assert.equal(a.cached(header), undefined);
    const p = await a.verify(header);
    assert.equal(a.cached(header), p);
    assert.equal(a.cacheSize, 1);
  });

  it('verifies a new token once for concurrent requests, answering them in arrival order', async () => {
    const a = new Authenticator(cfg);
    const header = `Bearer ${await mintToken({ secret: SECRET, accountId: 'acct-1' })}`;
    const p1 = a.verify(header);
    const p2 = a.verify(header);
    assert.equal(p1, p2, 'one verification in flight per token');
    const order: number[] = [];
    await Promise.all([p1.then(() => order.push(1)), p2.then(() => order.push(2)), a.verify(header).then(() => order.push(3))]);
    assert.deepEqual(order, [1, 2, 3]);
    // a bad token is not remembered: it is checked (and refused) again
    const bad = `Bearer ${sign({ alg: 'HS256' }, { accountId: 'a', exp: now() + 60 }, 'other-secret')}`;
    assert.equal(await errorOf(a, bad), 'InvalidJwtSignature');
    assert.notEqual(a.verify(bad), a.verify(`Bearer ${sign({ alg: 'HS256' }, { accountId: 'b', exp: now() + 60 }, 'other-secret')}`));
    assert.equal(await errorOf(a, bad), 'InvalidJwtSignature');
  });

  it('expires cached tokens without re-verifying', async () => {
    let clock = Date.now();
    const a = new Authenticator(cfg, () => clock);
    const header = `Bearer ${sign({ alg: 'HS256' }, { accountId: 'a', exp: Math.floor(clock / 1000) + 10 })}`;
    assert.ok((await a.verify(header)) instanceof Principal);
    clock += 41_000; // past exp + 30 s skew
    const r = a.cached(header);
    assert.ok(r instanceof AuthFailure);
    assert.equal(r.error, 'TokenExpired');
  });

  it('evicts the oldest token when the cache is full', async () => {
    const a = new Authenticator({ ...cfg, cacheSize: 2 });
    const headers = await Promise.all(['a', 'b', 'c'].map(async (id) => `Bearer ${await mintToken({ secret: SECRET, accountId: id })}`));
    for (const h of headers) await a.verify(h);
    assert.equal(a.cacheSize, 2);
    assert.equal(a.cached(headers[0]), undefined);
    assert.ok(a.cached(headers[2]) instanceof Principal);
  });

  it('names every failure', async () => {
    const a = new Authenticator(cfg);
    const exp = now() + 60;
    assert.equal(await errorOf(a, undefined), 'MissingBearerToken');
    assert.equal(await errorOf(a, 'Basic abc'), 'MissingBearerToken');
    assert.equal(await errorOf(a, 'Bearer  '), 'MissingBearerToken');
    assert.equal(await errorOf(a, 'Bearer a.b'), 'InvalidJwtFormat');
    assert.equal(await errorOf(a, 'Bearer !!!.e30.sig'), 'InvalidJwtHeader');
    assert.equal(await errorOf(a, `Bearer ${sign({ typ: 'JWT' }, { sub: 'a', exp })}`), 'MissingAlg');
    assert.equal(await errorOf(a, `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'a', exp })}.`), 'UnsupportedAlg');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS512' }, { sub: 'a', exp })}`), 'UnsupportedAlg');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp }, 'other-secret')}`), 'InvalidJwtSignature');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a' })}`), 'MissingExp');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp: now() - 120 })}`), 'TokenExpired');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp, nbf: now() + 600 })}`), 'TokenNotYetValid');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { exp })}`), 'MissingAccountId');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'has space', exp })}`), 'InvalidAccountId');
  });

  it('accepts a token within the clock skew', async () => {
    const a = new Authenticator(cfg);
    const r = await a.verify(`Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp: now() - 10 })}`);
    assert.ok(r instanceof Principal);
  });

  it('checks issuer and audience when configured', async () => {
    const a = new Authenticator({ ...cfg, issuer: 'desk', audience: 'switchyard' });
    const exp = now() + 60;
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp, iss: 'x', aud: 'switchyard' })}`), 'InvalidIssuer');
    assert.equal(await errorOf(a, `Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp, iss: 'desk', aud: 'y' })}`), 'InvalidAudience');
    const ok = await a.verify(`Bearer ${sign({ alg: 'HS256' }, { sub: 'a', exp, iss: 'desk', aud: ['y', 'switchyard'] })}`);
    assert.ok(ok instanceof Principal);
  });
});

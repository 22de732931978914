import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Authenticator, Principal } from '../../src/auth/authenticator.js';
import { ROOT } from '../helpers/gateway.js';

const cli = join(ROOT, 'dist', 'src', 'cli', 'token.js');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

describe('token CLI', () => {
  it('mints a token the gateway accepts, with session and admin role', async () => {
    const r = run(['--account', 'acct-9', '--sub', 'strat-9', '--admin', '--ttl', '600'], { JWT_HS256_SECRET: 'cli-secret' });
    assert.equal(r.status, 0, r.stderr);
    const auth = new Authenticator({ secret: 'cli-secret', issuer: undefined, audience: undefined, clockSkewSec: 30, cacheSize: 10 });
    const p = await auth.verify(`Bearer ${r.stdout.trim()}`);
    assert.ok(p instanceof Principal);
    assert.deepEqual([p.accountId, p.sessionId, p.isAdmin], ['acct-9', 'strat-9', true]);
    assert.ok(p.expMs <= Date.now() + 601_000);
  });

  it('refuses to run without a secret or an account', () => {
    assert.equal(run(['--account', 'a'], {}).status, 2);
    assert.equal(run([], { JWT_HS256_SECRET: 's' }).status, 2);
    assert.equal(run(['--account', 'a', '--ttl=-5'], { JWT_HS256_SECRET: 's' }).status, 2);
    const odd = run(['--account', 'a', '--ttl', '-5'], { JWT_HS256_SECRET: 's' });
    assert.equal(odd.status, 2);
    assert.doesNotMatch(odd.stderr, /at parseArgs/, 'a usage message, not a stack trace');
  });
});

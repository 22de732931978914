/**
 * The operations guide's journal check works in the default set-up: no AUDIT_HMAC_KEYS, the key
 * generated into the data directory; `journal-verify --data-dir` finds the journal and the key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ORDER, post, ROOT, startGateway, token } from '../helpers/gateway.js';

const cli = join(ROOT, 'dist', 'src', 'cli', 'journal-verify.js');
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

describe('journal-verify in the default set-up', () => {
  it('verifies a data directory with the key the gateway generated into it', async () => {
    const gw = await startGateway();
    const tok = await token('acct-jv');
    for (let i = 0; i < 3; i++) assert.equal((await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: `jv-${i}` })).status, 202);
    assert.equal(await gw.stop(), 0);

    const r = run(['--data-dir', gw.dataDir]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { ok: boolean; checked: number };
    assert.equal(out.ok, true);
    assert.ok(out.checked >= 3, `checked ${out.checked}`);

    const keyFile = run(['--dir', join(gw.dataDir, 'journal'), '--key-file', join(gw.dataDir, 'audit-hmac.key')]);
    assert.equal(keyFile.status, 0, keyFile.stderr);
    const wrong = run(['--dir', join(gw.dataDir, 'journal'), '--keys', 'local-x:not-the-key']);
    assert.equal(wrong.status, 1, 'a wrong key is found out');
    assert.equal(run(['--data-dir', gw.dataDir, '--dir', join(gw.dataDir, 'journal')]).status, 2);
  });
});

/**
 * `npm start` runs the back office beside the gateway (backoffice/launcher.ts): a child process
 * with the gateway's secret and data directory, a log line with its URL, stopped with the
 * gateway; BACKOFFICE_ENABLE=0 turns it off; its bad settings stop the start by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFailing, startGateway, token, waitForOutput } from '../../helpers/gateway.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('back office beside the gateway', () => {
  it('starts with the gateway, takes the gateway\'s tokens, and stops with it', async () => {
    const gw = await startGateway({ BACKOFFICE_ENABLE: '1', BACKOFFICE_PORT: '0', BACKOFFICE_RECONCILE_INTERVAL_SEC: '0', LOG_LEVEL: 'info' });
    let pid = 0;
    try {
      const line = await waitForOutput(gw, /back office listening at/);
      const { url, pid: childPid } = JSON.parse(line) as { url: string; pid: number };
      pid = childPid;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(alive(pid));
      assert.equal((await fetch(`${url}/health`)).status, 200);
      const tok = await token('launch-acct');
      const pos = await fetch(`${url}/positions`, { headers: { authorization: `Bearer ${tok}` } });
      assert.equal(pos.status, 200, await pos.text());
      // the gateway's ready line is the only ready line on its stdout
      assert.equal(gw.output.filter((l) => l.includes('"msg":"ready"')).length, 1);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
    assert.ok(gw.output.some((l) => l.includes('back office: stopped')));
    assert.ok(!alive(pid), 'the back office exited with the gateway');
  });

  it('BACKOFFICE_ENABLE=0 runs the gateway alone', async () => {
    const gw = await startGateway({ BACKOFFICE_ENABLE: '0', LOG_LEVEL: 'info' });
    try {
      await waitForOutput(gw, /BACKOFFICE_ENABLE=0: the back office is not started/);
    } finally {
      await gw.stop();
    }
  });

  it('a bad back office setting stops the start, naming it', async () => {
    const { code, output } = await startFailing({ BACKOFFICE_ENABLE: '1', BACKOFFICE_FEE_BPS: 'lots' });
    assert.equal(code, 2);
    assert.match(output, /configuration error: BACKOFFICE_FEE_BPS/);
  });
});

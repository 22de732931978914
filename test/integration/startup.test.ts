import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ORDER, post, startFailing, startGateway } from '../helpers/gateway.js';

describe('start-up and shutdown', () => {
  it('refuses an invalid value, naming the variable', async () => {
    const { code, output } = await startFailing({ V3_KILL_RECOVER_PCT: '97' });
    assert.equal(code, 2);
    assert.match(output, /V3_KILL_RECOVER_PCT/);
    const bad = await startFailing({ KAFKA_ENABLE: '1' });
    assert.equal(bad.code, 2);
    assert.match(bad.output, /KAFKA_ENABLE/);
  });

  it('accepts the original quick-start environment (KAFKA_ENABLE=0)', async () => {
    const gw = await startGateway({ KAFKA_ENABLE: '0', FASTPATH_DRAIN_ENABLE: '1', FASTPATH_DRAIN_WORKERS: '4' });
    assert.equal(await gw.stop(), 0);
  });

  it('without JWT_HS256_SECRET, generates an ephemeral secret and prints a working demo token', async () => {
    const gw = await startGateway({ JWT_HS256_SECRET: '' });
    try {
      const line = gw.output.find((l) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(l));
      assert.ok(line, `demo token printed:\n${gw.output.join('\n')}`);
      const r = await post(gw.base, '/v3/orders', line, ORDER);
      assert.equal(r.status, 202);
      assert.equal(r.json.sessionId, 'demo');
      // The banner's commands, pasted into a shell as printed, place an order.
      const from = gw.output.indexOf('Try (copy and paste):');
      assert.ok(from >= 0, 'the banner prints commands to paste');
      const to = gw.output.indexOf('', from);
      const pasted = gw.output.slice(from + 1, to).join('\n');
      const sh = spawnSync('bash', ['-c', `set -euo pipefail\n${pasted}`], { encoding: 'utf8' });
      assert.equal(sh.status, 0, sh.stderr);
      assert.match(sh.stdout, /"status":"VOLATILE_ACCEPT","sessionId":"demo"/);
      assert.ok(gw.output.some((l) => l.includes('JWT_HS256_SECRET=secret123 npm start')), "the banner tells how to follow the README's examples");
    } finally {
      await gw.stop();
    }
  });

  it('drains and exits 0 on SIGTERM, after which the port is closed', async () => {
    const gw = await startGateway();
    assert.equal(await gw.stop(), 0);
    await assert.rejects(fetch(`${gw.base}/health`));
  });

  for (const [variable, which] of [['GATEWAY_PORT', 'port'], ['GATEWAY_TCP_PORT', 'tcpPort']] as const) {
    it(`a second start on a busy ${variable}: one line naming the port, exit 2, no epoch consumed`, async () => {
      const gw = await startGateway();
      try {
        const epochFile = join(gw.dataDir, 'v3', 'epoch');
        const epoch = readFileSync(epochFile, 'utf8');
        const busy = String(gw[which]);
        const second = await startFailing({ GATEWAY_DATA_DIR: gw.dataDir, GATEWAY_TCP_PORT: '0', [variable]: busy });
        assert.equal(second.code, 2, second.output);
        const lines = second.output.trim().split('\n');
        assert.equal(lines.length, 1, `one line, no stack trace:\n${second.output}`);
        assert.match(lines[0]!, new RegExp(`${variable}: port ${busy} on 127\\.0\\.0\\.1 is already in use`));
        assert.equal(readFileSync(epochFile, 'utf8'), epoch, 'the epoch is untouched');
      } finally {
        assert.equal(await gw.stop(), 0);
      }
    });
  }
});

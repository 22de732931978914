/**
 * The TCP command-line client against a started gateway: order ids are printed and taken as
 * 64-bit decimal text (never rounded through a double), and 403 bodies have one spelling.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { get, post, ROOT, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

const cli = join(ROOT, 'dist', 'src', 'cli', 'client.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('client CLI', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway();
    tok = await token('acct-cli');
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('prints ids as strings with --json and cancels by the printed id', async () => {
    const common = ['--port', String(gw.tcpPort), '--token', tok, '--json'];
    const n = await run([...common, 'new', '--symbol', 'AAPL', '--side', 'BUY', '--qty', '100', '--price', '15000']);
    assert.equal(n.code, 0, n.stderr);
    const ack = JSON.parse(n.stdout) as Record<string, unknown>;
    assert.equal(ack.status, 'ACK');
    assert.equal(typeof ack.orderId, 'string');
    assert.equal(typeof ack.receivedAtNs, 'string');
    assert.match(ack.orderId as string, /^\d+$/);
    const c = await run([...common, 'cancel', '--order-id', ack.orderId as string]);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(JSON.parse(c.stdout), { status: 'CANCEL_ACK', clientSeq: 1, orderId: ack.orderId });
  });

  it('takes a full 64-bit order id: the gateway answers ORDER_NOT_FOUND, not a usage error', async () => {
    const c = await run(['--port', String(gw.tcpPort), '--token', tok, 'cancel', '--order-id', '18446744073709551615']);
    assert.equal(c.code, 3, c.stderr);
    assert.match(c.stdout, /CANCEL_REJECTED .*reason=ORDER_NOT_FOUND/);
    const bad = await run(['--port', String(gw.tcpPort), '--token', tok, 'cancel', '--order-id', '18446744073709551616']);
    assert.equal(bad.code, 2);
  });

  it('403 bodies: one spelling on every route', async () => {
    assert.deepEqual((await get(gw.base, '/v3/orders/someone-else/1', tok)).json, { error: 'forbidden' });
    assert.deepEqual((await post(gw.base, '/admin/kill', tok, { scope: 'global' })).json, { error: 'forbidden' });
  });
});

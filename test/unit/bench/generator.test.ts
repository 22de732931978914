import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { RequestEncoder } from '../../../bench/lib/openloop/request-encoder.js';
import { runSender, type SenderConfig } from '../../../bench/lib/openloop/sender.js';

/** An in-process node:http server answering like the gateway: 202, or 422 for every 5th order. */
async function server(opts: { silent?: boolean } = {}) {
  const seen: Array<{ path: string; auth: string; key: string; body: Record<string, unknown> }> = [];
  let n = 0;
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      seen.push({ path: req.url!, auth: req.headers.authorization!, key: String(req.headers['idempotency-key']), body: parsed });
      if (opts.silent) return; // never answers
      n++;
      const reject = n % 5 === 0;
      const out = reject ? '{"status":"REJECTED","reason":"INVALID_QTY","message":"x"}' : '{"status":"VOLATILE_ACCEPT"}';
      res.writeHead(reject ? 422 : 202, { 'content-type': 'application/json', 'content-length': out.length });
      res.end(out);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, seen, port: (srv.address() as AddressInfo).port };
}

const cfg = (port: number, o: Partial<SenderConfig> = {}): SenderConfig => ({
  host: '127.0.0.1', port, path: '/v3/orders', tokens: ['tok-a', 'tok-b'], runId: 'run1', ratePerSec: 400, durationSec: 0.5, warmupSec: 0.1,
  connections: 4, drainTimeoutSec: 5, mode: 'spin', spinBelowUs: 2000, ...o,
});

describe('request encoder', () => {
  test('requests are valid HTTP: node:http reads the original body, a unique key and the account token', async () => {
    const s = await server();
    const enc = new RequestEncoder({ host: '127.0.0.1', port: s.port, path: '/v3/orders', tokens: ['tok-a', 'tok-b'], runId: 'r9' });
    const sock = connect(s.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(Buffer.concat([enc.encode(0), enc.encode(1), enc.encode(1234567)])); // pipelined
    await new Promise<void>((r) => {
      const t = setInterval(() => s.seen.length === 3 && (clearInterval(t), r()), 5);
    });
    sock.destroy();
    s.srv.close();
    assert.deepEqual(s.seen.map((x) => x.key), ['r9-0000000000', 'r9-0000000001', 'r9-0001234567']);
    assert.deepEqual(s.seen.map((x) => x.auth), ['Bearer tok-a', 'Bearer tok-b', 'Bearer tok-b']);
    assert.deepEqual(s.seen[2]!.body, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 100, price: 15000, timeInForce: 'GTC', clientOrderId: 'r9-0001234567' });
    assert.throws(() => enc.encode(-1), RangeError);
    assert.throws(() => new RequestEncoder({ host: 'h', port: 1, path: '/', tokens: [], runId: 'x' }), RangeError);
  });

  test("order: 'market' sends marketable MARKET orders, BUY for even accounts and SELL for odd ones", async () => {
    const s = await server();
    const enc = new RequestEncoder({ host: '127.0.0.1', port: s.port, path: '/v3/orders', tokens: ['tok-a', 'tok-b'], runId: 'm1', order: 'market' });
    const sock = connect(s.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(Buffer.concat([enc.encode(0), enc.encode(1)]));
    await new Promise<void>((r) => {
      const t = setInterval(() => s.seen.length === 2 && (clearInterval(t), r()), 5);
    });
    sock.destroy();
    s.srv.close();
    assert.deepEqual(s.seen.map((x) => x.body), [
      { symbol: 'AAPL', side: 'BUY', type: 'MARKET', qty: 1, price: null, timeInForce: 'GTC', clientOrderId: 'm1-0000000000' },
      { symbol: 'AAPL', side: 'SELL', type: 'MARKET', qty: 1, price: null, timeInForce: 'GTC', clientOrderId: 'm1-0000000001' },
    ]);
  });
});

describe('open-loop sender', () => {
  for (const mode of ['spin', 'timer'] as const) {
    test(`${mode}: every scheduled request is sent once and answered; statuses and reasons counted`, async () => {
      const s = await server();
      const r = await runSender(cfg(s.port, { mode }));
      s.srv.close();
      assert.equal(r.scheduled, 200);
      assert.equal(r.sent, 200);
      assert.equal(r.completed, 200);
      assert.equal(r.timedOut + r.errors, 0);
      assert.equal(s.seen.length, 240); // warm-up (40) included on the wire
      assert.equal(new Set(s.seen.map((x) => x.key)).size, 240);
      assert.equal((r.byStatus['202'] ?? 0) + (r.byStatus['422'] ?? 0), 200);
      assert.equal(r.accepted, r.byStatus['202']);
      assert.equal(r.byReason.INVALID_QTY, r.byStatus['422']);
      assert.equal(r.latencyUs.count, 200);
      assert.equal(r.sendLagUs.count, 200);
      assert.ok(r.latencyUs.p50 > 0);
    });
  }

  test('requests a server never answers are timeouts, recorded at their lower bound', async () => {
    const s = await server({ silent: true });
    const r = await runSender(cfg(s.port, { ratePerSec: 100, durationSec: 0.2, warmupSec: 0, connections: 2, drainTimeoutSec: 0.2 }));
    s.srv.close();
    s.srv.closeAllConnections();
    assert.equal(r.scheduled, 20);
    assert.equal(r.completed, 0);
    assert.equal(r.timedOut, 20); // 2 on the wire, 18 waiting for a connection
    assert.equal(r.byStatus.TIMEOUT, 20);
    assert.ok(r.latencyUs.count === 20 && r.latencyUs.p50 >= 200_000);
  });

  test('an unreachable server is an error, not a hang', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(runSender(cfg(port)), /cannot connect/);
  });
});

describe('the Node floor server', () => {
  test('answers every request of a pipelined, split stream with one canned 202', async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-server.ts'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => createInterface({ input: p.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { httpPort: number }).httpPort)));
    const enc = new RequestEncoder({ host: '127.0.0.1', port, path: '/v3/orders', tokens: ['t'], runId: 'f' });
    const all = Buffer.concat(Array.from({ length: 5 }, (_, i) => enc.encode(i)));
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    // split inside a head, inside "Content-Length" and inside a body
    for (const [a, b] of [[0, 7], [7, 130], [130, all.length - 3], [all.length - 3, all.length]] as const) {
      sock.write(all.subarray(a, b));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise<void>((r) => {
      const t = setInterval(() => (got.match(/HTTP\/1\.1 202/g) ?? []).length >= 5 && (clearInterval(t), r()), 5);
    });
    sock.destroy();
    p.kill('SIGTERM');
    assert.equal((got.match(/HTTP\/1\.1 202 Accepted/g) ?? []).length, 5);
  });
});

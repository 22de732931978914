import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { jwtVerify } from 'jose';
import { OpenLoopSchedule } from '../../../src/loadgen/schedule.js';
import { LatencyRecorder } from '../../../src/loadgen/recorder.js';
import { buildSummary, formatSummary, writeSummary } from '../../../src/loadgen/summary.js';
import { makeOrder, orderJson, type OrderMix } from '../../../src/loadgen/orders.js';
import { mintTokens, parseAccounts } from '../../../src/loadgen/accounts.js';
import { parseConfig } from '../../../src/loadgen/config.js';
import { httpTarget, outcomeFromHttp } from '../../../src/loadgen/targets/http.js';
import { tcpTarget } from '../../../src/loadgen/targets/tcp.js';
import { realClock, realTimer, runOpenLoop } from '../../../src/loadgen/runner.js';
import { FakeServer } from '../tcp/fake-server.js';
import { MsgType } from '@switchyard/protocol';

const mix: OrderMix = { symbols: ['AAPL', 'MSFT'], qty: 3, price: 15000, type: 'LIMIT', runId: 'r1', lanes: 2 };

describe('orders and accounts', () => {
  test('orders: round-robin symbols, sides alternate per lane, unique clientOrderIds', () => {
    const os = Array.from({ length: 8 }, (_, i) => makeOrder(i, mix));
    assert.deepEqual(os.map((o) => o.symbol), ['AAPL', 'MSFT', 'AAPL', 'MSFT', 'AAPL', 'MSFT', 'AAPL', 'MSFT']);
    assert.deepEqual(os.map((o) => o.side), ['BUY', 'BUY', 'SELL', 'SELL', 'BUY', 'BUY', 'SELL', 'SELL']);
    assert.equal(new Set(os.map((o) => o.clientOrderId)).size, 8);
    assert.deepEqual(JSON.parse(orderJson(1, mix)), {
      symbol: 'MSFT',
      side: 'BUY',
      type: 'LIMIT',
      qty: 3,
      price: 15000,
      timeInForce: 'GTC',
      clientOrderId: 'r1-1',
    });
    assert.equal(JSON.parse(orderJson(0, { ...mix, type: 'MARKET' })).price, null);
  });

  test('accounts: a count or a list', () => {
    assert.deepEqual(parseAccounts('3'), ['lg-1', 'lg-2', 'lg-3']);
    assert.deepEqual(parseAccounts(' a, b ,c'), ['a', 'b', 'c']);
    assert.throws(() => parseAccounts('0'), RangeError);
    assert.throws(() => parseAccounts(' , '), RangeError);
  });

  test('minted tokens verify with the secret and carry the account', async () => {
    const [t] = await mintTokens(['acct-9'], { secret: 's3cret', ttlSec: 60, issuer: 'iss', audience: 'aud' });
    const { payload, protectedHeader } = await jwtVerify(t, new TextEncoder().encode('s3cret'), { issuer: 'iss', audience: 'aud' });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.sub, 'acct-9');
    assert.equal(payload.accountId, 'acct-9');
    assert.ok(typeof payload.exp === 'number');
  });
});

describe('command line', () => {
  test('defaults and values', async () => {
    const c = await parseConfig(['--target', 'tcp', '--token', 'T', '--rate', '5000', '--duration', '2', '--out', 'x.json'], {});
    assert.equal(c.target, 'tcp');
    assert.equal(c.port, 9001);
    assert.equal(c.connections, 1);
    assert.equal(c.ratePerSec, 5000);
    assert.equal(c.durationSec, 2);
    assert.deepEqual(c.tokens, ['T']);
    assert.equal(c.out, 'x.json');
    const h = await parseConfig(['--target', 'http', '--accounts', '2', '--symbols', 'AAPL,NVDA'], { JWT_HS256_SECRET: 'k' });
    assert.equal(h.connections, 8);
    assert.equal(h.url, 'http://127.0.0.1:8081/v3/orders');
    assert.equal(h.tokens.length, 2);
    assert.deepEqual(h.symbols, ['AAPL', 'NVDA']);
  });

  test('errors name the option', async () => {
    await assert.rejects(parseConfig(['--token', 'T'], {}), /--target/);
    await assert.rejects(parseConfig(['--target', 'http'], {}), /--token/);
    await assert.rejects(parseConfig(['--target', 'http', '--accounts', '2'], {}), /JWT_HS256_SECRET/);
    await assert.rejects(parseConfig(['--target', 'http', '--token', 'T', '--rate', 'fast'], {}), /--rate/);
    await assert.rejects(parseConfig(['--target', 'http', '--token', 'T', '--connections', '1.5'], {}), /--connections/);
    await assert.rejects(parseConfig(['--target', 'http', '--token', 'T', '--bogus', '1'], {}), /bogus/);
  });
});

describe('summary', () => {
  test('JSON and text files, histograms decodable', async () => {
    const schedule = new OpenLoopSchedule(0, { ratePerSec: 10, durationMs: 1000 });
    const rec = new LatencyRecorder(0);
    for (let i = 0; i < 10; i++) {
      const intended = schedule.intendedNs(i);
      rec.recordSend(i, intended, intended + 1000);
      rec.recordCompletion(i, intended, intended + (i + 1) * 1_000_000, i < 8 ? { accepted: true, status: '202', reason: 'VOLATILE_ACCEPT' } : { accepted: false, status: '429', reason: 'V3_BACKPRESSURE_SOFT' });
    }
    const s = buildSummary({ label: 'unit', target: 'sim', startedAt: new Date(0), config: { rate: 10 }, schedule, recorder: rec });
    assert.equal(s.schema, 'switchyard_loadgen_v1');
    assert.deepEqual(s.requests, { scheduled: 10, sent: 10, completed: 10, accepted: 8, timedOut: 0, warmupSent: 0 });
    assert.deepEqual(s.byStatus, { '202': 8, '429': 2 });
    assert.deepEqual(s.byReason, { VOLATILE_ACCEPT: 8, V3_BACKPRESSURE_SOFT: 2 });
    assert.equal(s.latencyUs.all.max, 10_000);
    assert.equal(s.latencyUs.accepted.max, 8_000);
    assert.equal(s.sendLagUs.max, 1);
    assert.equal(decodeFromCompressedBase64(s.histograms.all, 32, false).totalCount, 10);

    const text = formatSummary(s);
    assert.match(text, /p99\.9/);
    assert.match(text, /by reason: VOLATILE_ACCEPT=8 V3_BACKPRESSURE_SOFT=2/);

    const dir = await mkdtemp(join(tmpdir(), 'loadgen-'));
    try {
      const files = await writeSummary(join(dir, 'sub', 'run.json'), s);
      assert.equal(files.json, join(dir, 'sub', 'run.json'));
      assert.equal(files.text, join(dir, 'sub', 'run.txt'));
      assert.deepEqual(JSON.parse(await readFile(files.json, 'utf8')), s);
      assert.equal(await readFile(files.text, 'utf8'), text);
      const other = await writeSummary(join(dir, 'base'), s);
      assert.equal(other.json, join(dir, 'base.json'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('HTTP answers map to status and reason', () => {
    assert.deepEqual(outcomeFromHttp(202, '{"status":"VOLATILE_ACCEPT","sessionId":"s"}'), { accepted: true, status: '202', reason: 'VOLATILE_ACCEPT' });
    assert.deepEqual(outcomeFromHttp(422, '{"status":"REJECTED","reason":"INVALID_QTY"}'), { accepted: false, status: '422', reason: 'INVALID_QTY' });
    assert.deepEqual(outcomeFromHttp(401, '{"error":"token_expired"}'), { accepted: false, status: '401', reason: 'token_expired' });
    assert.deepEqual(outcomeFromHttp(500, 'oops'), { accepted: false, status: '500', reason: 'NON_JSON_BODY' });
  });
});

describe('targets over real sockets (counts only, no timing assertions)', () => {
  test('tcp target against the fake server', async () => {
    const srv = await FakeServer.start({ order: (m) => (m.clientSeq % 5 === 0 ? { reject: 36 } : { ack: true }) });
    try {
      const target = await tcpTarget({ host: '127.0.0.1', port: srv.port, connections: 2, tokens: ['a', 'b'], order: (i) => makeOrder(i, mix) });
      const schedule = new OpenLoopSchedule(realClock.nowNs(), { ratePerSec: 2000, durationMs: 100 });
      const rec = new LatencyRecorder(0);
      await runOpenLoop({ schedule, send: target.send, recorder: rec, clock: realClock, timer: realTimer(), drainTimeoutMs: 10_000 });
      await target.close();
      assert.equal(rec.completed, 200);
      assert.equal(rec.byStatus.get('REJECTED'), 40);
      assert.equal(rec.byReason.get('RATE_LIMITED'), 40);
      assert.equal(rec.acceptedCount, 160);
      assert.equal(srv.connections.length, 2);
      assert.equal(srv.allReceived().filter((m) => m.type === MsgType.NewOrder).length, 200);
    } finally {
      await srv.stop();
    }
  });

  test('http target against a tiny server', async () => {
    const seen: { auth: string | undefined; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { qty: number };
        seen.push({ auth: req.headers.authorization, body });
        res.writeHead(seen.length % 4 === 0 ? 429 : 202, { 'content-type': 'application/json' });
        res.end(seen.length % 4 === 0 ? '{"status":"SOFT_REJECT","reason":"V3_BACKPRESSURE_SOFT"}' : '{"status":"VOLATILE_ACCEPT"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const target = httpTarget({ url: `http://127.0.0.1:${port}/v3/orders`, connections: 4, tokens: ['t1', 't2'], body: (i) => orderJson(i, mix) });
      const schedule = new OpenLoopSchedule(realClock.nowNs(), { ratePerSec: 1000, durationMs: 100 });
      const rec = new LatencyRecorder(0);
      await runOpenLoop({ schedule, send: target.send, recorder: rec, clock: realClock, timer: realTimer(), drainTimeoutMs: 10_000 });
      await target.close();
      assert.equal(rec.completed, 100);
      assert.equal(rec.byStatus.get('202'), 75);
      assert.equal(rec.byStatus.get('429'), 25);
      assert.equal(rec.acceptedCount, 75);
      assert.deepEqual(new Set(seen.map((s) => s.auth)), new Set(['Bearer t1', 'Bearer t2']));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

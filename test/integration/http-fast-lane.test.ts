/**
 * The HTTP fast lane over raw sockets: pipelining, requests split at every byte, connections
 * handed to node:http mid-stream, requests it must leave to node:http, token verification
 * holding the answer order, and answers byte-compatible with node:http's.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { FastLane } from '../../src/transport/http/fast-lane.js';
import { HttpCounters } from '../../src/transport/http/counters.js';
import { after, before, describe, it } from 'node:test';
import { metrics, ORDER, type RunningGateway, startGateway, token } from '../helpers/gateway.js';
import { type Answer, RawConnection, v3Request } from '../helpers/raw-http.js';

const BODY = JSON.stringify(ORDER);
const names = (a: Answer) => a.headers.map(([n]) => n);
const header = (a: Answer, name: string) => a.headers.find(([n]) => n === name)?.[1];

describe('HTTP fast lane', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway();
    tok = await token('acct-lane', { sub: 'lane-1' });
    // Put the token in the verified-token cache.
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(tok, BODY));
    assert.equal((await c.take(1))[0]!.status, 202);
    c.close();
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('answers pipelined requests in order, in one connection, without node:http', async () => {
    const before = await metrics(gw.base);
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(tok, BODY) + v3Request(tok, BODY) + v3Request(tok, BODY));
    const a = await c.take(3);
    assert.deepEqual(a.map((x) => x.status), [202, 202, 202]);
    const seqs = a.map((x) => JSON.parse(x.body).sessionSeq as number);
    assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
    c.close();
    const m = await metrics(gw.base);
    assert.equal(m.get('gateway_http_fast_lane_requests_total')! - before.get('gateway_http_fast_lane_requests_total')!, 3);
    assert.equal(m.get('gateway_http_fast_lane_handoffs_total'), before.get('gateway_http_fast_lane_handoffs_total'));
  });

  it('parses a request that arrives one byte at a time', async () => {
    const c = await RawConnection.open(gw.port);
    const bytes = Buffer.from(v3Request(tok, BODY, ['Idempotency-Key: byte-by-byte']));
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const [a] = await c.take(1);
    assert.equal(a!.status, 202);
    assert.equal(JSON.parse(a!.body).status, 'VOLATILE_ACCEPT');
    c.close();
  });

  it('writes the same header lines as node:http', async () => {
    const c = await RawConnection.open(gw.port);
    // Transfer-Encoding is left to node:http: the second answer comes from node:http.
    c.write(v3Request(tok, BODY, ['Idempotency-Key: same-bytes']));
    const chunked = ['POST /v3/orders HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Authorization: Bearer ${tok}`, 'Idempotency-Key: same-bytes', 'Transfer-Encoding: chunked'];
    c.write(chunked.join('\r\n') + `\r\n\r\n${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`);
    const [lane, node] = await c.take(2);
    assert.deepEqual(names(lane!), ['content-type', 'content-length', 'date', 'connection', 'keep-alive']);
    assert.deepEqual(names(node!), ['content-type', 'content-length', 'idempotent-replayed', 'date', 'connection', 'keep-alive']);
    assert.equal(node!.body, lane!.body, 'the replay carries the original answer');
    for (const h of ['content-type', 'connection', 'keep-alive']) assert.equal(header(lane!, h), header(node!, h));
    assert.match(header(lane!, 'date')!, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    c.close();
  });

  it('hands a connection to node:http at the first other request, keeping the answer order', async () => {
    const before = await metrics(gw.base);
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(tok, BODY) + 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + v3Request(tok, BODY));
    const a = await c.take(3);
    assert.deepEqual(a.map((x) => x.status), [202, 200, 202]);
    assert.equal(JSON.parse(a[1]!.body).status, 'OK');
    assert.equal(JSON.parse(a[2]!.body).sessionSeq, JSON.parse(a[0]!.body).sessionSeq + 1);
    c.close();
    const m = await metrics(gw.base);
    assert.equal(m.get('gateway_http_fast_lane_handoffs_total')! - before.get('gateway_http_fast_lane_handoffs_total')!, 1);
  });

  it('leaves doubtful requests to node:http, which answers them exactly as without the lane', async () => {
    const plain = await startGateway({ HTTP_FAST_LANE: '0' });
    try {
      // Warm the token cache there too (node:http drops the answer of a request whose client
      // half-closes while its token is being verified).
      const warm = await RawConnection.open(plain.port);
      warm.write(v3Request(tok, BODY));
      assert.equal((await warm.take(1))[0]!.status, 202);
      warm.close();
      const cases: [string, number][] = [
        [v3Request(tok, BODY).replace('Content-Type: application/json', 'Content-Type: text/plain'), 415],
        [v3Request(tok, 'x'.repeat(20_000)), 413],
        [v3Request(tok, BODY, [`Content-Length: ${BODY.length}`]), 400], // duplicate Content-Length
        [v3Request(tok, BODY).replace('Host: 127.0.0.1\r\n', ''), 400], // HTTP/1.1 without Host
        [v3Request(tok, BODY).replace('Host: 127.0.0.1', 'Host : 127.0.0.1'), 400], // space before the colon
        [v3Request(tok, BODY, ['X-Folded: a', ' b']), 400], // obsolete line folding
        [v3Request(tok, BODY).replace('HTTP/1.1', 'HTTP/1.0'), 202],
        [v3Request(tok, BODY, ['Connection: close']), 202],
        [v3Request(tok, BODY, ['Expect: 100-continue']), 100],
        ['POST /v3/orders?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n', 404],
        [v3Request(tok, BODY).replace('Content-Type: application/json', 'Content-Type: APPLICATION/JSON x'), 415],
        // node:http keeps the first 2000 header lines: the Authorization after them is not seen
        [v3Request(tok, BODY).replace('Content-Type', 'X-Pad: 1\r\n'.repeat(2100) + 'Content-Type'), 401],
        [v3Request(tok, BODY).replace('Content-Length', 'X-Nul: a\u0000b\r\nContent-Length'), 400],
      ];
      // Everything a server sends until it closes, digits and dates masked (ids and times differ).
      const exchange = (port: number, req: string) =>
        new Promise<string>((resolve) => {
          let out = '';
          const s = connect(port, '127.0.0.1', () => s.end(req));
          s.on('data', (d: Buffer) => (out += d.toString('latin1')));
          s.on('error', () => {});
          s.on('close', () => resolve(out.replace(/Date: [^\r]*/g, 'Date: -').replace(/\d+/g, '0')));
        });
      for (const [req, status] of cases) {
        const what = req.split('\r\n').slice(0, 7).join(' | ');
        const viaLane = await exchange(gw.port, req);
        assert.ok(viaLane.startsWith(`HTTP/0.0 ${String(status).replace(/\d+/, '0')} `), `${what}: ${viaLane.slice(0, 40)}`);
        assert.equal(viaLane, await exchange(plain.port, req), what);
      }
    } finally {
      await plain.stop();
    }
  });

  it('keeps the answer order while a new token is verified', async () => {
    const fresh = await token('acct-lane-2', { sub: 'lane-2' });
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(fresh, BODY) + v3Request(fresh, BODY) + v3Request(tok, BODY) + 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const a = await c.take(4);
    assert.deepEqual(a.map((x) => x.status), [202, 202, 202, 200]);
    assert.deepEqual(a.slice(0, 2).map((x) => [JSON.parse(x.body).sessionId, JSON.parse(x.body).sessionSeq]), [['lane-2', 1], ['lane-2', 2]]);
    assert.equal(JSON.parse(a[2]!.body).sessionId, 'lane-1');
    c.close();
  });

  it('answers rejects with their byte length, also for text that is not ASCII', async () => {
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(tok, JSON.stringify({ ...ORDER, 'prix€': 1 })) + v3Request('not-a-token', BODY) + v3Request(tok, '{"symbol":'));
    const [unknown, unauth, bad] = await c.take(3);
    assert.equal(unknown!.status, 400);
    assert.equal(JSON.parse(unknown!.body).reason, 'UNKNOWN_FIELD');
    assert.match(JSON.parse(unknown!.body).message, /prix€/);
    assert.equal(unauth!.status, 401);
    assert.equal(bad!.status, 400);
    assert.equal(JSON.parse(bad!.body).reason, 'INVALID_JSON');
    c.close();
  });

  it('stops reading from a client that does not read its answers, and resumes', async () => {
    const c = await RawConnection.open(gw.port);
    c.socket.pause(); // answers pile up in the server's socket buffers
    const n = 4000;
    const one = v3Request(tok, BODY);
    const all = one.repeat(n);
    c.write(all);
    await new Promise((r) => setTimeout(r, 50));
    c.socket.resume();
    const a = await c.take(n);
    assert.deepEqual([...new Set(a.map((x) => x.status))], [202]);
    const seqs = a.map((x) => JSON.parse(x.body).sessionSeq as number);
    for (let i = 1; i < n; i++) assert.equal(seqs[i], seqs[0]! + i);
    c.close();
  });

  it('collects a large body that arrives in many small reads', async () => {
    const c = await RawConnection.open(gw.port);
    const padded = BODY.replace('{', '{' + ' '.repeat(12_000));
    const bytes = Buffer.from(v3Request(tok, padded));
    for (let i = 0; i < bytes.length; i += 97) {
      c.write(bytes.subarray(i, i + 97));
      await new Promise((r) => setImmediate(r));
    }
    const [a] = await c.take(1);
    assert.equal(a!.status, 202);
    c.close();
  });

  it('answers a request sent with a half-close, then closes', async () => {
    const c = await RawConnection.open(gw.port);
    c.socket.end(v3Request(tok, BODY));
    const [a] = await c.take(1);
    assert.equal(a!.status, 202);
    await c.waitClosed();
  });
});

describe('HTTP fast lane: POST /orders', () => {
  let gw: RunningGateway;
  let tok: string;
  const durable = (clientOrderId: string, extra: string[] = []) => v3Request(tok, JSON.stringify({ ...ORDER, clientOrderId }), extra, '/orders');
  before(async () => {
    gw = await startGateway();
    tok = await token('acct-lane-d');
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('answers pipelined durable orders in order, each once its journal record is durable', async () => {
    const c = await RawConnection.open(gw.port);
    c.write(durable('p-1') + durable('p-2') + durable('p-3'));
    const a = await c.take(3);
    assert.deepEqual(a.map((x) => x.status), [202, 202, 202]);
    const acks = a.map((x) => JSON.parse(x.body));
    assert.deepEqual(acks.map((x) => x.clientOrderId), ['p-1', 'p-2', 'p-3']);
    assert.ok(acks.every((x) => x.durable === undefined && x.status === 'ACCEPTED'));
    assert.deepEqual(acks.map((x) => x.acceptSeq - acks[0].acceptSeq), [0, 1, 2]);
    c.close();
  });

  it('keeps the order across routes: durable, volatile, a replay, then node:http', async () => {
    const c = await RawConnection.open(gw.port);
    c.write(
      durable('m-1') +
        v3Request(tok, BODY) +
        durable('m-1') +
        durable('m-bad', ['Idempotency-Key:']) + // empty key: falls back to the clientOrderId
        'GET /orders/client/m-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + tok + '\r\n\r\n',
    );
    const [first, v3, replay, fallback, read] = await c.take(5);
    assert.equal(first!.status, 202);
    assert.equal(v3!.status, 202);
    assert.equal(JSON.parse(v3!.body).status, 'VOLATILE_ACCEPT');
    assert.equal(replay!.status, 202);
    assert.equal(header(replay!, 'idempotent-replayed'), 'true');
    assert.equal(replay!.body, first!.body);
    assert.equal(fallback!.status, 202);
    assert.equal(JSON.parse(fallback!.body).clientOrderId, 'm-bad');
    assert.equal(read!.status, 200);
    assert.equal(JSON.parse(read!.body).orderId, JSON.parse(first!.body).orderId);
    c.close();
  });

  it('stops parsing while hundreds of answers are due, and answers them all in order', async () => {
    const c = await RawConnection.open(gw.port);
    const n = 700;
    let all = '';
    for (let i = 0; i < n; i++) all += durable(`bulk-${i}`);
    c.write(all);
    const a = await c.take(n);
    assert.deepEqual([...new Set(a.map((x) => x.status))], [202]);
    assert.deepEqual(
      a.map((x) => JSON.parse(x.body).clientOrderId),
      Array.from({ length: n }, (_, i) => `bulk-${i}`),
    );
    c.close();
  });

  it('refuses a bad body at once, behind the answers due before it', async () => {
    const c = await RawConnection.open(gw.port);
    c.write(durable('r-1') + v3Request(tok, '{"symbol":', [], '/orders') + durable('r-2'));
    const a = await c.take(3);
    assert.deepEqual(a.map((x) => x.status), [202, 400, 202]);
    assert.equal(JSON.parse(a[1]!.body).reason, 'INVALID_JSON');
    c.close();
  });
});

describe('HTTP fast lane: half-close with answers due', () => {
  it('after the client\'s FIN, answers what it executed, then node:http answers the rest, and keeps serving', async () => {
    const gw = await startGateway();
    try {
      const tok = await token('acct-lane-fin');
      const c = await RawConnection.open(gw.port);
      c.socket.end(v3Request(tok, JSON.stringify({ ...ORDER, clientOrderId: 'fin-1' }), [], '/orders') + 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const [a, b] = await c.take(2);
      assert.equal(a!.status, 202);
      assert.equal(b!.status, 200);
      await c.waitClosed();
      const d = await RawConnection.open(gw.port);
      d.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await d.take(1))[0]!.status, 200);
      d.close();
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });
});

describe('HTTP fast lane: request deadline', () => {
  it('answers 408 to a request still incomplete after requestTimeout, as node:http does', async () => {
    const server = createServer();
    // Nothing here reaches a handler: the request never completes.
    const lane = FastLane.install(server, {
      auth: {} as never,
      counters: new HttpCounters(),
      v3: {} as never,
      maxBodyBytes: 16_384,
      keepAliveTimeoutMs: 60_000,
      requestTimeoutMs: 50,
      checkIntervalMs: 60_000,
    });
    assert.ok(lane !== null);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = await RawConnection.open((server.address() as AddressInfo).port);
      c.write('POST /v3/orders HTTP/1.1\r\nHost: x\r\n');
      await new Promise((r) => setTimeout(r, 120)); // longer than the 50 ms deadline
      c.write('X-Slow: 1');
      const [a] = await c.take(1);
      assert.equal(a!.status, 408);
      await c.waitClosed();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('HTTP fast lane: shutdown', () => {
  it('closes idle lane connections on SIGTERM and exits 0', async () => {
    const gw = await startGateway();
    const tok = await token('acct-lane-3');
    const c = await RawConnection.open(gw.port);
    c.write(v3Request(tok, BODY));
    assert.equal((await c.take(1))[0]!.status, 202);
    const code = gw.stop();
    await c.waitClosed();
    assert.equal(await code, 0);
  });

  it('with HTTP_FAST_LANE=0 node:http answers everything', async () => {
    const gw = await startGateway({ HTTP_FAST_LANE: '0' });
    try {
      const tok = await token('acct-lane-4');
      const c = await RawConnection.open(gw.port);
      c.write(v3Request(tok, BODY) + v3Request(tok, BODY));
      assert.deepEqual((await c.take(2)).map((a) => a.status), [202, 202]);
      // pipelined durable orders with a token not verified yet still enter in the order sent
      const fresh = await token('acct-lane-5');
      const order = (id: string) => v3Request(fresh, JSON.stringify({ ...ORDER, clientOrderId: id }), [], '/orders');
      c.write(order('n-1') + order('n-2') + order('n-3'));
      const acks = (await c.take(3)).map((a) => JSON.parse(a.body));
      assert.deepEqual(acks.map((a) => a.clientOrderId), ['n-1', 'n-2', 'n-3']);
      assert.deepEqual(acks.map((a) => a.acceptSeq - acks[0].acceptSeq), [0, 1, 2]);
      c.close();
      const m = await metrics(gw.base);
      assert.equal(m.get('gateway_http_fast_lane_requests_total'), 0);
    } finally {
      await gw.stop();
    }
  });
});

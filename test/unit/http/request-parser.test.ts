/**
 * The fast lane's pure parser: canonical requests at every split point, the hand-off grammar,
 * and per-connection parse state (nothing leaks from one connection's parse into another's).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HAND_OFF, NEED_MORE, parseOrderRequest, ParsedRequest, Route, type ParseLimits } from '../../../src/transport/http/request-parser.js';

const LIMITS: ParseLimits = { maxHeadBytes: 16 * 1024, maxHeaders: 2000, maxBodyBytes: 16_384, orders: true };
const BODY = '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000}';

function request(opts: { line?: string; headers?: string[]; body?: string } = {}): Buffer {
  const body = opts.body ?? BODY;
  const headers = opts.headers ?? ['Host: 127.0.0.1', 'Content-Type: application/json', 'Authorization: Bearer t.o.k', `Content-Length: ${Buffer.byteLength(body)}`];
  return Buffer.from(`${opts.line ?? 'POST /v3/orders HTTP/1.1'}\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

function parse(buf: Buffer, out = new ParsedRequest(), limits = LIMITS): number {
  return parseOrderRequest(buf, 0, limits, out);
}

describe('request parser: canonical requests', () => {
  it('parses the route, token, key and body', () => {
    const out = new ParsedRequest();
    const buf = request({ headers: ['Host: x', 'content-type: application/json; charset=utf-8', 'authorization: Bearer a.b.c', 'Idempotency-Key: k-1', 'Content-Length: 2'], body: '{}' });
    assert.equal(parse(buf, out), buf.length);
    assert.equal(out.route, Route.V3);
    assert.equal(out.authorization, 'Bearer a.b.c');
    assert.equal(out.idempotencyKey, 'k-1');
    assert.equal(out.body, '{}');
    const orders = request({ line: 'POST /orders HTTP/1.1' });
    assert.equal(parse(orders, out), orders.length);
    assert.equal(out.route, Route.Orders);
    assert.equal(out.idempotencyKey, undefined);
  });

  it('is NEED_MORE at every split point, then the whole length, whatever the split', () => {
    for (const buf of [request(), request({ line: 'POST /orders HTTP/1.1' }), request({ body: '{"symbol":"ÄÖÜ"}' })]) {
      const out = new ParsedRequest();
      let headDone = buf.indexOf('\r\n\r\n') + 4;
      for (let k = 0; k < buf.length; k++) {
        assert.equal(parse(buf.subarray(0, k), out), NEED_MORE, `split at ${k}`);
        // once the head is complete, the parser knows how many bytes the request needs
        assert.equal(out.need, k >= headDone ? buf.length : 0, `need at ${k}`);
      }
      assert.equal(parse(buf, out), buf.length);
      headDone = 0;
    }
  });

  it('finds the second of two pipelined requests at its offset', () => {
    const a = request({ body: '{"a":1}' });
    const b = request({ line: 'POST /orders HTTP/1.1', body: '{"b":2}' });
    const both = Buffer.concat([a, b]);
    const out = new ParsedRequest();
    assert.equal(parseOrderRequest(both, 0, LIMITS, out), a.length);
    assert.equal(out.body, '{"a":1}');
    assert.equal(parseOrderRequest(both, a.length, LIMITS, out), b.length);
    assert.equal(out.body, '{"b":2}');
    assert.equal(out.route, Route.Orders);
  });

  it('keeps parse state per connection: a request-line prefix never inherits a pending body length', () => {
    // connection A: a head announcing 16000 bytes and one body byte
    const a = new ParsedRequest();
    const head = request({ headers: ['Host: x', 'Content-Type: application/json', 'Content-Length: 16000'], body: '{' });
    assert.equal(parse(head, a), NEED_MORE);
    assert.ok(a.need > 16000);
    // connection B: any cut of its request line, then the rest
    const full = request();
    for (let cut = 1; cut <= 25; cut++) {
      const b = new ParsedRequest();
      assert.equal(parse(full.subarray(0, cut), b), NEED_MORE);
      assert.equal(b.need, 0, `need after a ${cut}-byte prefix`);
      assert.equal(parse(full, b), full.length);
    }
    // and even an `out` reused from another parse is reset by a request-line prefix
    assert.equal(parse(Buffer.from('POST '), a), NEED_MORE);
    assert.equal(a.need, 0);
  });
});

describe('request parser: what goes to node:http', () => {
  const cases: Array<[string, Buffer]> = [
    ['another route', request({ line: 'POST /v3/orders/x HTTP/1.1' })],
    ['a query string', request({ line: 'POST /v3/orders?x=1 HTTP/1.1' })],
    ['another method', request({ line: 'PUT /v3/orders HTTP/1.1' })],
    ['HTTP/1.0', request({ line: 'POST /v3/orders HTTP/1.0' })],
    ['/orders when the lane does not serve it', request({ line: 'POST /orders HTTP/1.1' })],
    ['no Host', request({ headers: ['Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['two Hosts', request({ headers: ['Host: a', 'Host: b', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['no Content-Length', request({ headers: ['Host: a', 'Content-Type: application/json'] })],
    ['two Content-Lengths', request({ headers: ['Host: a', 'Content-Type: application/json', `Content-Length: ${BODY.length}`, `Content-Length: ${BODY.length}`] })],
    ['Content-Length with a trailing tab', request({ headers: ['Host: a', 'Content-Type: application/json', `Content-Length: ${BODY.length}\t`] })],
    ['Content-Length with a trailing space', request({ headers: ['Host: a', 'Content-Type: application/json', `Content-Length: ${BODY.length} `] })],
    ['Content-Length with a sign', request({ headers: ['Host: a', 'Content-Type: application/json', `Content-Length: +${BODY.length}`] })],
    ['a body over the limit', request({ headers: ['Host: a', 'Content-Type: application/json', 'Content-Length: 16385'] })],
    ['Transfer-Encoding', request({ headers: ['Host: a', 'Content-Type: application/json', 'Transfer-Encoding: chunked'] })],
    ['Expect', request({ headers: ['Host: a', 'Content-Type: application/json', 'Expect: 100-continue', `Content-Length: ${BODY.length}`] })],
    ['Origin (a browser: node:http adds CORS headers)', request({ headers: ['Host: a', 'Content-Type: application/json', 'Origin: http://app.example', `Content-Length: ${BODY.length}`] })],
    ['Upgrade', request({ headers: ['Host: a', 'Content-Type: application/json', 'Upgrade: websocket', `Content-Length: ${BODY.length}`] })],
    ['Connection: close', request({ headers: ['Host: a', 'Content-Type: application/json', 'Connection: close', `Content-Length: ${BODY.length}`] })],
    ['another content type', request({ headers: ['Host: a', 'Content-Type: text/plain', `Content-Length: ${BODY.length}`] })],
    ['an upper-case content type', request({ headers: ['Host: a', 'Content-Type: Application/JSON', `Content-Length: ${BODY.length}`] })],
    ['two content types', request({ headers: ['Host: a', 'Content-Type: application/json', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['two tokens', request({ headers: ['Host: a', 'Content-Type: application/json', 'Authorization: Bearer a', 'Authorization: Bearer b', `Content-Length: ${BODY.length}`] })],
    ['two idempotency keys', request({ headers: ['Host: a', 'Content-Type: application/json', 'Idempotency-Key: a', 'Idempotency-Key: b', `Content-Length: ${BODY.length}`] })],
    ['a space before the colon', request({ headers: ['Host : a', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['a line without a colon', request({ headers: ['Host: a', 'junk', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['a value with a control byte', request({ headers: ['Host: a', 'X-A: b\x01c', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['a value with trailing whitespace', request({ headers: ['Host: a ', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
    ['a bare LF', Buffer.from(`POST /v3/orders HTTP/1.1\r\nHost: a\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)],
    ['an obs-fold', request({ headers: ['Host: a', 'X-A: b\r\n c', 'Content-Type: application/json', `Content-Length: ${BODY.length}`] })],
  ];
  for (const [what, buf] of cases) {
    it(`hands off ${what}, at the first byte that decides`, () => {
      const limits = what.startsWith('/orders when') ? { ...LIMITS, orders: false } : LIMITS;
      assert.equal(parse(buf, new ParsedRequest(), limits), HAND_OFF);
      // every prefix is NEED_MORE or HAND_OFF, never a request; once HAND_OFF, always
      let handedOff = false;
      for (let k = 1; k <= buf.length; k++) {
        const r = parse(buf.subarray(0, k), new ParsedRequest(), limits);
        assert.ok(r === NEED_MORE || r === HAND_OFF, `${what} at ${k}: ${r}`);
        if (handedOff) assert.equal(r, HAND_OFF, `${what} at ${k}`);
        handedOff ||= r === HAND_OFF;
      }
    });
  }

  it('hands off a head beyond node:http\'s header size or count limit', () => {
    const big = request({ headers: ['Host: a', `X-Big: ${'x'.repeat(200)}`, 'Content-Type: application/json', `Content-Length: ${BODY.length}`] });
    assert.equal(parse(big, new ParsedRequest(), { ...LIMITS, maxHeadBytes: 100 }), HAND_OFF);
    assert.equal(parse(big.subarray(0, 150), new ParsedRequest(), { ...LIMITS, maxHeadBytes: 100 }), HAND_OFF, 'an incomplete head already too long');
    assert.equal(parse(request(), new ParsedRequest(), { ...LIMITS, maxHeaders: 3 }), HAND_OFF);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { HttpResponseParseError, ResponseParser } from '../../../bench/lib/openloop/response-parser.js';

type Got = Array<{ status: number; body: string | null }>;

function parseAll(chunks: Buffer[], keepAll = true): Got {
  const got: Got = [];
  const p = new ResponseParser((status, body) => got.push({ status, body: body === null ? null : body.toString('latin1') }), keepAll ? () => true : undefined);
  for (const c of chunks) p.feed(c);
  return got;
}

const ACK = '{"status":"VOLATILE_ACCEPT","sessionId":"s","sessionSeq":1,"orderId":"o-1","receivedAtNs":1}';
const REJ = '{"status":"REJECTED","reason":"INVALID_QTY","message":"qty"}';
const STREAM = Buffer.from(
  `HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\nContent-Length: ${ACK.length}\r\n\r\n${ACK}` +
    `HTTP/1.1 422 Unprocessable Entity\r\nCONTENT-LENGTH: ${REJ.length}\r\nX-Other: a:b\r\n\r\n${REJ}` +
    'HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n' +
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n' +
    'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n' +
    'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n',
  'latin1',
);
const EXPECTED: Got = [
  { status: 202, body: ACK },
  { status: 422, body: REJ },
  { status: 204, body: '' },
  { status: 200, body: 'Wikipedia' },
  { status: 503, body: 'abc' },
  { status: 200, body: '' },
];

describe('HTTP response parser', () => {
  test('a keep-alive stream in one chunk', () => {
    assert.deepEqual(parseAll([STREAM]), EXPECTED);
  });

  test('every split point gives the same responses', () => {
    for (let i = 1; i < STREAM.length; i++) {
      assert.deepEqual(parseAll([STREAM.subarray(0, i), STREAM.subarray(i)]), EXPECTED, `split at ${i}`);
    }
  });

  test('byte by byte, and seeded random chunks', () => {
    assert.deepEqual(parseAll([...STREAM].map((b) => Buffer.from([b]))), EXPECTED);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let off = 0; off < STREAM.length; ) {
        const n = 1 + Math.floor(rnd() * 40);
        chunks.push(STREAM.subarray(off, off + n));
        off += n;
      }
      assert.deepEqual(parseAll(chunks), EXPECTED, `round ${round}`);
    }
  });

  test('bodies are kept only for non-2xx answers by default', () => {
    assert.deepEqual(parseAll([STREAM], false).map((g) => g.body === null), [true, false, true, true, false, true]);
  });

  test('malformed responses throw a typed error', () => {
    for (const bad of ['HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 abc\r\n\r\n', 'HTTP/1.1 200 OK\r\nno colon\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
      assert.throws(() => parseAll([Buffer.from(bad)]), (e: unknown) => e instanceof HttpResponseParseError && e.code === 'HTTP_RESPONSE_PARSE', bad);
    }
  });

  test('differential: the same bytes read by node:http (llhttp) give the same status and body', async () => {
    // One response per connection for node:http's client; the same bytes through our parser.
    const responses = [0, 1, 3, 4].map((i) => EXPECTED[i]!);
    const raw = [
      STREAM.subarray(0, STREAM.indexOf('HTTP/1.1 422')),
      STREAM.subarray(STREAM.indexOf('HTTP/1.1 422'), STREAM.indexOf('HTTP/1.1 204')),
      STREAM.subarray(STREAM.indexOf('HTTP/1.1 200 OK\r\nTransfer'), STREAM.indexOf('HTTP/1.1 503')),
      STREAM.subarray(STREAM.indexOf('HTTP/1.1 503'), STREAM.indexOf('HTTP/1.0')),
    ];
    for (const [k, bytes] of raw.entries()) {
      const srv = createServer((s) => {
        s.once('data', () => s.end(bytes));
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as AddressInfo).port;
      const viaNode = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        }).on('error', reject);
      });
      srv.close();
      assert.deepEqual(parseAll([bytes]), [{ status: viaNode.status, body: viaNode.body }]);
      assert.deepEqual(viaNode, responses[k]);
    }
  });
});

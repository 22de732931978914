/**
 * Regressions of the HTTP answer path found by an adversarial pass: parse state leaking between
 * lane connections, an executed order answered as a reject after garbage, orders answered after
 * the client's FIN, trailing whitespace in Content-Length, silent partial requests, and /health
 * while the journal is failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, ORDER, type RunningGateway, startGateway, token } from '../helpers/gateway.js';
import { RawConnection, v3Request } from '../helpers/raw-http.js';

const BODY = JSON.stringify(ORDER);
const turn = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const lane of ['1', '0']) {
  describe(`HTTP answer path (HTTP_FAST_LANE=${lane})`, () => {
    let gw: RunningGateway;
    let tok: string;
    before(async () => {
      gw = await startGateway({ HTTP_FAST_LANE: lane });
      tok = await token('acct-hard', { sub: `hard-${lane}` });
      // the token in the verified-token cache
      const c = await RawConnection.open(gw.port);
      c.write(v3Request(tok, BODY));
      assert.equal((await c.take(1))[0]!.status, 202);
      c.close();
    });
    after(async () => {
      assert.equal(await gw.stop(), 0);
    });

    it('a connection never inherits another connection\'s pending body length', async () => {
      const a = await RawConnection.open(gw.port);
      a.write(`POST /v3/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${tok}\r\nContent-Length: 16000\r\n\r\n{`);
      for (const cut of [1, 5, 12, 25]) {
        const b = await RawConnection.open(gw.port);
        const req = v3Request(tok, JSON.stringify({ ...ORDER, clientOrderId: `inherit-${lane}-${cut}` }), [], '/orders');
        b.write(req.slice(0, cut));
        await turn(30); // a read of its own
        b.write(req.slice(cut));
        const [ans] = await b.take(1);
        assert.equal(ans!.status, 202, `cut ${cut}: ${ans!.body}`);
        b.close();
      }
      a.close();
    });

    it('answers what was executed before malformed bytes, then a protocol error (not an order reject), then closes', async () => {
      const c = await RawConnection.open(gw.port);
      const order = JSON.stringify({ ...ORDER, clientOrderId: `garb-${lane}` });
      c.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n' + v3Request(tok, order, [], '/orders') + '\x01JUNK\r\n\r\n');
      const answers = await c.take(3);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 202, 400],
      );
      assert.equal(JSON.parse(answers[1]!.body).clientOrderId, `garb-${lane}`);
      assert.deepEqual(JSON.parse(answers[2]!.body), { error: 'BAD_REQUEST' });
      await c.waitClosed();
      const o = await get(gw.base, `/orders/client/garb-${lane}`, tok);
      assert.equal(o.status, 200);
      assert.equal(o.json.status, 'ACCEPTED');
    });

    it('answers pipelined durable orders sent with a half-close', async () => {
      const c = await RawConnection.open(gw.port);
      const ids = [1, 2, 3].map((i) => `fin-${lane}-${i}`);
      c.socket.end(ids.map((id) => v3Request(tok, JSON.stringify({ ...ORDER, clientOrderId: id }), [], '/orders')).join(''));
      const answers = await c.take(3);
      assert.deepEqual(
        answers.map((a) => [a.status, JSON.parse(a.body).clientOrderId]),
        ids.map((id) => [202, id]),
      );
      await c.waitClosed();
    });

    it('reads Content-Length with trailing whitespace as node:http does (a tab: 400, a space: accepted)', async () => {
      for (const [ows, status] of [['\t', 400], [' ', 202]] as const) {
        const c = await RawConnection.open(gw.port);
        c.write(v3Request(tok, BODY).replace(`Content-Length: ${BODY.length}`, `Content-Length: ${BODY.length}${ows}`));
        const [a] = await c.take(1);
        assert.equal(a!.status, status, JSON.stringify(ows));
        if (status === 400) assert.deepEqual(JSON.parse(a!.body), { error: 'BAD_REQUEST' });
        c.close();
      }
    });
  });
}

describe('HTTP timeouts and health', () => {
  it('answers 408 to a partial request that goes silent (lane and node:http alike)', async () => {
    for (const lane of ['1', '0']) {
      const gw = await startGateway({ HTTP_FAST_LANE: lane, HTTP_REQUEST_TIMEOUT_MS: '200', HTTP_CHECK_INTERVAL_MS: '50' });
      try {
        const c = await RawConnection.open(gw.port);
        c.write('POST /v3/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
        const [a] = await c.take(1);
        assert.equal(a!.status, 408, `lane ${lane}`);
        assert.deepEqual(JSON.parse(a!.body), { error: 'REQUEST_TIMEOUT' });
        await c.waitClosed();
      } finally {
        await gw.stop();
      }
    }
  });

  it('/health says 503 while the journal is failed; /health/live stays 200', async () => {
    const gw = await startGateway({ AUDIT_FAILPOINT: 'fdatasync-eio' });
    try {
      assert.equal((await get(gw.base, '/health')).status, 200);
      const tok = await token('acct-health');
      const c = await RawConnection.open(gw.port);
      c.write(v3Request(tok, JSON.stringify({ ...ORDER, clientOrderId: 'h-1' }), [], '/orders'));
      const [a] = await c.take(1);
      assert.equal(a!.status, 500);
      assert.equal(JSON.parse(a!.body).reason, 'WAL_DURABILITY_FAILED');
      const h = await get(gw.base, '/health');
      assert.equal(h.status, 503);
      assert.equal(h.json.status, 'UNAVAILABLE');
      assert.equal(h.json.reason, 'WAL_DURABILITY_FAILED');
      assert.equal(h.json.journal, 'FAILED');
      const live = await get(gw.base, '/health/live');
      assert.equal(live.status, 200);
      assert.deepEqual(live.json, { status: 'LIVE', ready: false });
      c.close();
    } finally {
      await gw.stop();
    }
  });
});

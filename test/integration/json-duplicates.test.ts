/**
 * Duplicate JSON member names over real sockets: every JSON order route (and the admin kill
 * switch) refuses them with 400 DUPLICATE_FIELD and changes no state, whether the HTTP fast lane
 * parses the request or node:http does.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { get, metrics, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

const SIDE_TWICE = (id: string) => `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"clientOrderId":"${id}","side":"SELL"}`;
const QTY_TWICE = (id: string) => `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100000000,"price":15000,"clientOrderId":"${id}","qty":1}`;
const ESCAPED_TWICE = (id: string) => `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000,"clientOrderId":"${id}","\\u0073ide":"SELL"}`;

/**
 * One request on a fresh keep-alive connection, so that a fast lane, when on, parses it (a
 * connection the lane handed to node:http, e.g. after a GET, stays there; the lane also leaves
 * `connection: close` to node:http). The connection is dropped once the answer is in.
 */
function postRaw(port: number, path: string, tok: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const he = buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const head = buf.toString('latin1', 0, he);
      const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < he + 4 + len) return;
      s.destroy();
      resolve({ status: Number(head.split(' ')[1]), json: JSON.parse(buf.toString('utf8', he + 4, he + 4 + len)) as Record<string, unknown> });
    });
    s.on('close', () => reject(new Error(`connection closed before a whole answer: ${JSON.stringify(buf.toString())}`)));
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    s.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${tok}\r\n${extra}` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

for (const lane of ['1', '0']) {
  describe(`duplicate JSON fields are refused (HTTP_FAST_LANE=${lane})`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startGateway({ HTTP_FAST_LANE: lane });
    });
    after(async () => {
      assert.equal(await gw.stop(), 0);
    });

    it('POST /v3/orders: 400 DUPLICATE_FIELD, nothing queued', async () => {
      const tok = await token('dup-v3', { sub: `dup-v3-${lane}` });
      const before = await metrics(gw.base);
      for (const [i, make] of [SIDE_TWICE, QTY_TWICE, ESCAPED_TWICE].entries()) {
        const r = await postRaw(gw.port, '/v3/orders', tok, make(`v3-dup-${i}`), { 'idempotency-key': `v3-dup-${i}` });
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal(r.json.status, 'REJECTED');
        assert.equal(r.json.reason, 'DUPLICATE_FIELD');
        assert.match(String(r.json.message), /"(side|qty)" appears more than once/);
      }
      // no sequence number was taken: the session's first accepted order is sessionSeq 1
      const ok = await postRaw(gw.port, '/v3/orders', tok, SIDE_TWICE('v3-ok').replace(',"side":"SELL"', ''));
      assert.equal(ok.status, 202);
      assert.equal(ok.json.sessionSeq, 1);
      const m = await metrics(gw.base);
      const laneAnswered = m.get('gateway_http_fast_lane_requests_total')! - before.get('gateway_http_fast_lane_requests_total')!;
      assert.equal(laneAnswered, lane === '1' ? 4 : 0, 'the lane setting decides who parsed the requests');
    });

    it('POST /orders: 400 DUPLICATE_FIELD, the order does not exist', async () => {
      const tok = await token(`dup-orders-${lane}`);
      for (const [i, make] of [SIDE_TWICE, QTY_TWICE, ESCAPED_TWICE].entries()) {
        const id = `ord-dup-${i}`;
        const r = await postRaw(gw.port, '/orders', tok, make(id));
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal(r.json.reason, 'DUPLICATE_FIELD');
        assert.equal((await get(gw.base, `/orders/client/${id}`, tok)).status, 404, 'nothing was journaled');
      }
      const ok = await postRaw(gw.port, '/orders', tok, QTY_TWICE('ord-ok').replace(',"qty":1}', '}').replace('100000000', '1'));
      assert.equal(ok.status, 202, JSON.stringify(ok.json));
      const o = await get(gw.base, '/orders/client/ord-ok', tok);
      assert.equal(o.json.qty, 1);
    });

    it('POST /admin/kill: 400 DUPLICATE_FIELD, no kill raised', async () => {
      const admin = await token('ops', { roles: ['admin'] });
      const r = await postRaw(gw.port, '/admin/kill', admin, '{"scope":"account","accountId":"victim","scope":"global"}');
      assert.equal(r.status, 400);
      assert.equal(r.json.reason, 'DUPLICATE_FIELD');
      const state = await get(gw.base, '/admin/kill', admin);
      assert.equal(state.json.engaged, false);
    });
  });
}

/**
 * The console's HTTP side against the compiled gateway: static files with their content types and
 * caching, traversal refused, login/session, one-time stream tickets, the stream's first sample,
 * the client limit, the back office pass-through when it is down, CONSOLE_ENABLE=0, and the admin
 * routes refusing a trader.
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { get, post, type RunningGateway, startGateway, startFailing, token } from '../helpers/gateway.js';
import { connect } from 'node:net';

/** Sends exact bytes (fetch would normalise `..` away) and reads until the server closes. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** Opens the console stream and resolves with the status, and the first sample when 200. */
function openStream(base: string, ticket: string): Promise<{ status: number; hello?: any; sample?: any; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/console/stream?ticket=${encodeURIComponent(ticket)}`, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve({ status: res.statusCode!, close: () => req.destroy() });
      }
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      let buf = '';
      let hello: any;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (\w+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev === 'hello') hello = JSON.parse(data!);
          if (ev === 'sample') return resolve({ status: 200, hello, sample: JSON.parse(data!), close: () => req.destroy() });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A fresh ticket and stream, waiting while the server still counts streams closed just before. */
async function streamFor(base: string, tok: string) {
  for (;;) {
    const { json } = await post(base, '/console/api/session', tok, '');
    const s = await openStream(base, json.ticket);
    if (s.status !== 503) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('console HTTP routes', () => {
  let gw: RunningGateway;
  let admin: string;
  let trader: string;
  before(async () => {
    gw = await startGateway({ CONSOLE_MAX_CLIENTS: '2', CONSOLE_BACKOFFICE_URL: 'http://127.0.0.1:1' });
    admin = await token('ops', { roles: ['admin'] });
    trader = await token('trader1');
  });
  after(() => gw?.stop());

  test('index.html: no-cache; hashed assets: immutable, with their content types; /console redirects', async () => {
    const r = await fetch(`${gw.base}/console/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const html = await r.text();
    const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const css = /href="(\/console\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    assert.ok(js !== undefined && css !== undefined, html);
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN');
    const a = await fetch(gw.base + js);
    assert.equal(a.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const c = await fetch(gw.base + css);
    assert.equal(c.headers.get('content-type'), 'text/css; charset=utf-8');
    const again = await fetch(gw.base + js, { headers: { 'if-none-match': a.headers.get('etag')! } });
    assert.equal(again.status, 304);
    const redirect = await fetch(`${gw.base}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get('location'), '/console/');
    assert.equal((await get(gw.base, '/console/nope.js')).status, 404);
  });

  test('paths that try to leave the build are refused', async () => {
    for (const p of ['/console/../package.json', '/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/assets/..%5c..%5cpackage.json', '/console/%2fetc%2fpasswd', '/console/%E0%A4%A']) {
      const r = await rawRequest(gw.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(r, /^HTTP\/1.1 (400|404)/, p);
      assert.doesNotMatch(r, /"name": "switchyard"|root:/, p);
    }
    const r = await rawRequest(gw.port, 'GET /console/../package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(r, /400[\s\S]*BAD_PATH/);
  });

  test('session: 401 without a valid token; the role is the token\'s', async () => {
    assert.equal((await post(gw.base, '/console/api/session', undefined, '')).status, 401);
    assert.equal((await post(gw.base, '/console/api/session', 'garbage', '')).status, 401);
    const a = await post(gw.base, '/console/api/session', admin, '');
    assert.equal(a.status, 200);
    assert.equal(a.json.isAdmin, true);
    assert.equal(a.json.accountId, 'ops');
    const t = await post(gw.base, '/console/api/session', trader, '');
    assert.equal(t.json.isAdmin, false);
    assert.equal((await get(gw.base, '/console/api/session')).status, 405);
  });

  test('stream: a ticket opens one stream once; a sample carries every view', async () => {
    assert.equal((await openStream(gw.base, '')).status, 401);
    assert.equal((await openStream(gw.base, 'made-up')).status, 401);
    const { json } = await post(gw.base, '/console/api/session', admin, '');
    const s = await openStream(gw.base, json.ticket);
    try {
      assert.equal(s.status, 200);
      assert.deepEqual(s.hello, { accountId: 'ops', isAdmin: true, intervalMs: 1000 });
      const x = s.sample;
      assert.equal(typeof x.acceptedPerSec, 'number');
      assert.deepEqual(x.latency.map((l: any) => l.name), ['v3', 'http', 'durable', 'tcp']);
      assert.equal(x.shards.length > 0, true);
      assert.deepEqual(Object.keys(x.shards[0]).sort(), ['capacity', 'depth', 'killed', 'reason', 'shard', 'utilisationPct']);
      assert.equal(x.kill.engaged, false);
      assert.equal(x.journal.durable, 'OK');
      assert.equal(x.bus, null);
      assert.deepEqual(x.venues, []);
      // spent
      assert.equal((await openStream(gw.base, json.ticket)).status, 401);
    } finally {
      s.close();
    }
  });

  test('stream: at most CONSOLE_MAX_CLIENTS at once (503 CONSOLE_FULL), a slot frees when one closes', async () => {
    const open = [];
    for (let i = 0; i < 2; i++) open.push(await streamFor(gw.base, admin));
    const { json } = await post(gw.base, '/console/api/session', admin, '');
    const third = await openStream(gw.base, json.ticket);
    assert.equal(third.status, 503);
    open.pop()!.close();
    // once the server has seen the close, a new stream gets the slot
    const again = await streamFor(gw.base, admin);
    assert.equal(again.status, 200);
    again.close();
    for (const s of open) s.close();
  });

  test('a trader\'s stream does not name other accounts\' kill switches', async () => {
    await post(gw.base, '/admin/kill', admin, { scope: 'account', accountId: 'someone-else' });
    await post(gw.base, '/admin/kill', admin, { scope: 'account', accountId: 'trader1' });
    try {
      const s = await streamFor(gw.base, trader);
      s.close();
      assert.deepEqual(s.sample.kill.accounts.map((k: any) => k.id), ['trader1']);
      const sa = await streamFor(gw.base, admin);
      sa.close();
      assert.deepEqual(sa.sample.kill.accounts.map((k: any) => k.id).sort(), ['someone-else', 'trader1']);
    } finally {
      await post(gw.base, '/admin/resume', admin, { scope: 'account', accountId: 'someone-else' });
      await post(gw.base, '/admin/resume', admin, { scope: 'account', accountId: 'trader1' });
    }
  });

  test('back office down: 502 BACKOFFICE_UNREACHABLE; unknown back office path 404; no token 401', async () => {
    const r = await get(gw.base, '/console/api/backoffice/pnl', trader);
    assert.equal(r.status, 502);
    assert.equal(r.json.error, 'BACKOFFICE_UNREACHABLE');
    assert.equal((await get(gw.base, '/console/api/backoffice/ledger', trader)).status, 404);
    assert.equal((await get(gw.base, '/console/api/backoffice/pnl')).status, 401);
  });

  test('the admin routes the console calls refuse a trader (403) and take an admin', async () => {
    assert.equal((await post(gw.base, '/admin/kill', trader, { scope: 'global' })).status, 403);
    assert.equal((await post(gw.base, '/admin/resume', trader, { scope: 'global' })).status, 403);
    assert.equal((await get(gw.base, '/admin/kill', trader)).status, 403);
    assert.equal((await get(gw.base, '/admin/kill', admin)).status, 200);
  });
});

describe('console at shutdown', () => {
  test('SIGTERM ends open console streams and the gateway exits 0', async () => {
    const gw = await startGateway();
    const s = await streamFor(gw.base, await token('ops', { roles: ['admin'] }));
    assert.equal(s.status, 200);
    assert.equal(await gw.stop(), 0);
    s.close();
  });
});

describe('console settings', () => {
  test('CONSOLE_ENABLE=0: no /console routes', async () => {
    const gw = await startGateway({ CONSOLE_ENABLE: '0' });
    try {
      assert.equal((await get(gw.base, '/console/')).status, 404);
      assert.equal((await post(gw.base, '/console/api/session', await token('a'), '')).status, 404);
    } finally {
      await gw.stop();
    }
  });

  test('invalid values fail at start-up naming the variable', async () => {
    for (const [k, v] of [
      ['CONSOLE_INTERVAL_MS', '5'],
      ['CONSOLE_MAX_CLIENTS', 'many'],
      ['CONSOLE_BACKOFFICE_URL', 'ftp://x'],
      ['CONSOLE_ENABLE', 'maybe'],
    ]) {
      const r = await startFailing({ [k!]: v! });
      assert.equal(r.code, 2, r.output);
      assert.match(r.output, new RegExp(k!));
    }
  });
});

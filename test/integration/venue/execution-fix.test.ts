/**
 * The execution loop over FIX 4.4: a gateway process whose venue is the standalone simulator
 * (`npm run venue`, its own process) over a real socket. Orders fill through the link; the
 * gateway is killed with -9 while orders keep filling at the venue (no cancel-on-disconnect);
 * after the restart the link resumes its sequence numbers, the venue resends what the gateway
 * missed, status requests reconcile the rest — and every fill is applied exactly once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { get, metrics, post, ROOT, type RunningGateway, startGateway, token, until } from '../../helpers/gateway.js';

const SIM = {
  VENUE_SIM_SEED: '11',
  VENUE_SIM_LP_DEPTH: '20',
  VENUE_SIM_WALK_STEP_TICKS: '1',
  VENUE_SIM_WALK_INTERVAL_MS: '5',
};

const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

describe('execution loop over FIX', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-fix-'));
  let venue: ChildProcess;
  let port = 0;
  let env: Record<string, string>;

  before(async () => {
    venue = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'venue', 'fix', 'acceptor-main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', VENUE_FIX_PORT: '0', VENUE_FIX_DATA_DIR: join(dir, 'venue'), VENUE_FIX_CANCEL_ON_DISCONNECT: '0', ...SIM },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: venue.stdout! }).on('line', (l) => {
        if (l.includes('"msg":"ready"')) resolve(JSON.parse(l).port as number);
      });
      venue.once('exit', (code) => reject(new Error(`venue exited with ${code}`)));
    });
    env = {
      SOR_VENUES: 'fx',
      VENUE_FX_KIND: 'fix',
      VENUE_FX_PORT: String(port),
      VENUE_FX_HEARTBEAT_SEC: '1',
      VENUE_FX_RECONNECT_MIN_MS: '50',
      VENUE_FX_RECONNECT_MAX_MS: '200',
      V3_LOSS_GAP_TIMEOUT_MS: '60000',
      GATEWAY_DATA_DIR: join(dir, 'gateway'),
    };
  });
  after(() => {
    venue.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const sessionUp = (gw: RunningGateway) =>
    until('the FIX session up', async () => ((await metrics(gw.base)).get('gateway_venue_session_state{venue="fx"}') === 1 ? true : undefined));

  it('fills through the link, survives a kill -9 of the gateway, and applies every fill exactly once', async () => {
    let gw = await startGateway(env);
    const tok = await token('acct-fix');
    const ids: string[] = [];
    try {
      await sessionUp(gw);
      const cross = await post(gw.base, '/orders', tok, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 30, price: 15_100, clientOrderId: 'f-cross' });
      assert.equal(cross.status, 202);
      ids.push(cross.json.orderId);
      await until('the crossing order filled', async () => ((await get(gw.base, `/orders/${cross.json.orderId}`, tok)).json.status === 'FILLED' ? true : undefined));
      for (let i = 0; i < 8; i++) {
        const price = i < 6 ? 15_000 - (i % 3) : 13_600; // near the touch: they fill over time; far: they work on
        const r = await post(gw.base, '/orders', tok, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 60, price, clientOrderId: `f-${i}` });
        assert.equal(r.status, 202);
        ids.push(r.json.orderId);
      }
      await until('all sent', async () => ((await metrics(gw.base)).get('gateway_venue_orders_routed_total')! >= ids.length ? true : undefined));
    } finally {
      await gw.kill();
    }

    gw = await startGateway(env);
    try {
      await sessionUp(gw);
      // the near orders keep filling at the venue; the far ones still work there after the restart
      const near = await Promise.all(ids.slice(0, 7).map((id) => until(`order ${id} filled`, async () => {
        const o = (await get(gw.base, `/orders/${id}`, tok)).json;
        return o.status === 'FILLED' ? o : undefined;
      })));
      const far = await Promise.all(ids.slice(7).map(async (id) => (await get(gw.base, `/orders/${id}`, tok)).json));
      for (const o of far) assert.ok(!TERMINAL.has(o.status), `${o.orderId} still works at the venue (${o.status})`);
      for (const o of [...near, ...far]) {
        const ev = (await get(gw.base, `/orders/${o.orderId}/events?limit=1000`, tok)).json.events;
        const fills = ev.filter((e: any) => e.type === 'ExecutionReport' && e.data.lastQty > 0);
        assert.equal(fills.reduce((n: number, e: any) => n + e.data.lastQty, 0), o.filledQty, `${o.orderId}: fills add up to filledQty`);
        const cum = fills.map((e: any) => e.data.cumQty);
        assert.deepEqual(cum, [...cum].sort((a, b) => a - b), `${o.orderId}: cumQty only grows`);
        assert.equal(new Set(cum).size, cum.length, `${o.orderId}: no fill applied twice`);
      }
      // the far orders are live at the venue: a cancel reaches it over the resumed session
      for (const o of far) {
        assert.equal((await post(gw.base, `/orders/${o.orderId}/cancel`, tok, '')).status, 202);
        await until(`${o.orderId} cancelled`, async () => ((await get(gw.base, `/orders/${o.orderId}`, tok)).json.status === 'CANCELED' ? true : undefined));
      }
      const m = await metrics(gw.base);
      assert.ok(m.get('gateway_venue_reconcile_requests_total')! >= far.length, 'orders restored as working were asked for their status');
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('an order an earlier run journaled as sent but never got out is sent again once the venue says it does not know it', async () => {
    // run 1 drops new orders on its side of the link, as when it dies before the bytes leave
    const first = { ...env, GATEWAY_DATA_DIR: join(dir, 'gateway-resend'), VENUE_FX_DATA_DIR: join(dir, 'link-resend') };
    let gw = await startGateway({ ...first, VENUE_FX_FAILPOINT: 'drop-new' });
    const tok = await token('acct-resend');
    let id = '';
    try {
      await sessionUp(gw);
      const r = await post(gw.base, '/orders', tok, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 10, price: 13_500, clientOrderId: 'lost-1' });
      assert.equal(r.status, 202);
      id = r.json.orderId;
      await until('sent', async () => ((await metrics(gw.base)).get('gateway_venue_orders_routed_total')! >= 1 ? true : undefined));
    } finally {
      await gw.kill();
    }
    gw = await startGateway(first);
    try {
      await sessionUp(gw);
      await until('sent again', async () => ((await metrics(gw.base)).get('gateway_venue_orders_resent_total')! >= 1 ? true : undefined));
      const o = (await get(gw.base, `/orders/${id}`, tok)).json;
      assert.ok(!TERMINAL.has(o.status), `the order works at the venue (${o.status})`);
      // it is live there: the venue confirms a cancel
      assert.equal((await post(gw.base, `/orders/${id}/cancel`, tok, '')).status, 202);
      const done = await until('cancelled', async () => {
        const x = (await get(gw.base, `/orders/${id}`, tok)).json;
        return x.status === 'CANCELED' ? x : undefined;
      });
      assert.notEqual(done.reason, 'VENUE_UNKNOWN_ORDER');
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });
});

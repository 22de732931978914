/**
 * The operator console end to end in a real headless Chromium, against the compiled gateway with
 * the embedded venue simulator: log in, throughput chart moving under a bounded background load,
 * an order placed and one cancelled from the ticket with fills in the blotter, the global kill
 * pulled (orders refused) and lifted; a trader sees no admin controls and the server refuses the
 * admin call. Every wait is for a condition. Screenshots go to var/console-screenshots/, and to
 * docs/console/ as well with UPDATE_SCREENSHOTS=1.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { ROOT, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

const SIM = {
  SOR_VENUES: 'sim',
  VENUE_SIM_SEED: '7',
  VENUE_SIM_LATENCY_US: '50',
  CONSOLE_INTERVAL_MS: '200',
  // Nothing listens on port 1: the back office panel shows its "not reachable" state.
  CONSOLE_BACKOFFICE_URL: 'http://127.0.0.1:1',
};
const WAIT = { timeout: 30_000 };
const SHOTS = join(ROOT, 'var', 'console-screenshots');
const DOCS = join(ROOT, 'docs', 'console');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const p = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: p, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(p, join(DOCS, `${name}.png`));
  }
}

async function login(page: Page, gw: RunningGateway, tok: string): Promise<void> {
  await page.goto(`${gw.base}/console/`);
  await page.fill('textarea[name=token]', tok);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=stream-state]:text("live")', WAIT);
}

async function sendFromTicket(page: Page, fields: { side?: string; qty: string; price: string; clientOrderId: string }): Promise<string> {
  const t = page.locator('[data-testid=ticket]');
  if (fields.side !== undefined) await t.locator('select[name=side]').selectOption(fields.side);
  await t.locator('input[name=qty]').fill(fields.qty);
  await t.locator('input[name=price]').fill(fields.price);
  await t.locator('input[name=clientOrderId]').fill(fields.clientOrderId);
  await page.click('[data-testid=ticket-review]');
  await page.waitForSelector('[data-testid=confirm]', WAIT);
  await page.click('[data-testid=confirm-ok]');
  const result = page.locator('[data-testid=ticket-result]');
  await result.filter({ hasText: `(${fields.clientOrderId})` }).waitFor(WAIT);
  return (await result.textContent()) ?? '';
}

/** POSTs /v3 orders from `loader` until `done()` or the bound (count and time) is reached. */
async function backgroundLoad(gw: RunningGateway, tok: string, done: () => boolean): Promise<number> {
  const body = JSON.stringify({ symbol: 'MSFT', side: 'BUY', type: 'LIMIT', qty: 1, price: 41000, timeInForce: 'GTC', clientOrderId: null });
  const until = Date.now() + 30_000;
  let sent = 0;
  while (!done() && sent < 20_000 && Date.now() < until) {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${gw.base}/v3/orders`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer()),
      ),
    );
    sent += 20;
  }
  return sent;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('operator console in headless Chromium', () => {
  let gw: RunningGateway;
  let browser: Browser;
  let admin: string;
  let trader: string;

  before(async () => {
    browser = await launchChromium();
    gw = await startGateway(SIM);
    admin = await token('ops', { roles: ['admin'] });
    trader = await token('trader1');
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  test('admin: login, live throughput, ticket with fills and cancel, global kill and resume', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, gw, admin);
    assert.equal(await page.textContent('[data-testid=role]'), 'admin');
    // The blotter follows the gateway's SSE stream (GET /stream, bus_event_v1 events).
    await page.locator('[data-testid=blotter-feed]', { hasText: 'live (SSE /stream)' }).waitFor(WAIT);

    // The throughput chart moves while a bounded load runs.
    let moved = false;
    const loader = await token('loader');
    const load = backgroundLoad(gw, loader, () => moved);
    // (data-last is the newest accepted/s point; the page's CSP refuses eval, so conditions are selectors)
    await page.locator('[data-testid=throughput-chart]:not([data-last="0.0"])').waitFor(WAIT);
    moved = true;
    assert.ok((await load) > 0);
    const points = Number(await page.getAttribute('[data-testid=throughput-chart]', 'data-points'));
    assert.ok(points >= 2, `chart has ${points} points`);

    // An order that crosses the simulator's book fills; one far from it rests and is cancelled.
    assert.match(await sendFromTicket(page, { qty: '100', price: '15100', clientOrderId: 'e2e-fill' }), /accepted/);
    const filled = page.locator('[data-testid=blotter-row][data-client-order-id=e2e-fill][data-status=FILLED]');
    await filled.waitFor(WAIT);
    assert.match((await filled.locator('[data-testid=fills]').textContent()) ?? '', /\d+@\d+/);

    assert.match(await sendFromTicket(page, { qty: '10', price: '14000', clientOrderId: 'e2e-rest' }), /accepted/);
    const rest = page.locator('[data-testid=blotter-row][data-client-order-id=e2e-rest]');
    await rest.locator('[data-testid=cancel-order]').waitFor(WAIT);
    await page.locator('[data-testid=venue-sim]', { hasText: 'UP' }).waitFor(WAIT);
    await shot(page, 'overview');
    await rest.locator('[data-testid=cancel-order]').click();
    await page.waitForSelector('[data-testid=confirm]', WAIT);
    await shot(page, 'cancel-confirm');
    await page.click('[data-testid=confirm-ok]');
    await page.locator('[data-testid=blotter-row][data-client-order-id=e2e-rest][data-status=CANCELED]').waitFor(WAIT);

    // Journal: run a verify.
    await page.click('[data-testid=run-verify]');
    await page.waitForSelector('[data-testid=verify-result]:text("chain intact")', WAIT);
    // The back office is not running: the panel says so.
    await page.waitForSelector('[data-testid=backoffice-down]', WAIT);

    // Global kill: new orders refused; resume: accepted again.
    await page.click('[data-testid=kill-global]');
    await page.waitForSelector('[data-testid=confirm]', WAIT);
    await page.click('[data-testid=confirm-ok]');
    await page.waitForSelector('[data-testid=global-kill-state]:text("KILLED")', WAIT);
    assert.match(await sendFromTicket(page, { qty: '5', price: '15000', clientOrderId: 'e2e-killed' }), /refused 503: V3_GLOBAL_KILLED/);
    await shot(page, 'global-kill');
    await page.click('[data-testid=resume-global]');
    await page.waitForSelector('[data-testid=confirm]', WAIT);
    await page.click('[data-testid=confirm-ok]');
    await page.waitForSelector('[data-testid=global-kill-state]:text("trading")', WAIT);
    assert.match(await sendFromTicket(page, { qty: '5', price: '15000', clientOrderId: 'e2e-after' }), /accepted/);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('trader: no admin controls, and the server refuses the admin call', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    await login(page, gw, trader);
    assert.equal(await page.textContent('[data-testid=role]'), 'trader');
    await page.waitForSelector('[data-testid=kill-readonly]', WAIT);
    assert.equal(await page.locator('[data-testid=kill-global]').count(), 0);
    assert.equal(await page.locator('[data-testid=resume-global]').count(), 0);
    assert.equal(await page.locator('[data-testid=kill-scope-form]').count(), 0);
    await page.locator('[data-testid=blotter] .state.empty').waitFor(WAIT);
    await shot(page, 'trader');
    // The same call an admin's button makes, with the trader's token: 403.
    const status = await page.evaluate(async (tok) => {
      const r = await fetch('/admin/kill', { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: '{"scope":"global"}' });
      return r.status;
    }, trader);
    assert.equal(status, 403);
    await page.waitForSelector('[data-testid=global-kill-state]:text("trading")', WAIT);
    await ctx.close();
  });

  test('the demo token `npm start` prints (no JWT_HS256_SECRET) logs in as admin', async () => {
    const demo = await startGateway({ JWT_HS256_SECRET: '' });
    const ctx = await browser.newContext();
    try {
      // The banner goes to stderr, the ready line to stdout: wait until the banner has been read.
      for (let n = 0; !demo.output.some((l) => l.startsWith('Operator console:')); n++) {
        assert.ok(n < 1000, `no console line in the start banner:\n${demo.output.join('\n')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const i = demo.output.findIndex((l) => l.startsWith('Demo token for account "demo"'));
      assert.ok(i >= 0, demo.output.join('\n'));
      const tok = demo.output.slice(i + 1).find((l) => l.trim() !== '')!.trim();
      assert.ok(demo.output.some((l) => l.includes(`Operator console: http://127.0.0.1:${demo.port}/console/`)));
      const page = await ctx.newPage();
      await login(page, demo, tok);
      assert.equal(await page.textContent('[data-testid=role]'), 'admin');
      assert.match((await page.textContent('[data-testid=whoami]')) ?? '', /demo/);
    } finally {
      await ctx.close();
      await demo.stop();
    }
  });

  test('positions and P&L from the back office `npm start` runs beside the gateway', async () => {
    const boPort = await freePort();
    const withBo = await startGateway({ ...SIM, BACKOFFICE_ENABLE: '1', BACKOFFICE_PORT: String(boPort), CONSOLE_BACKOFFICE_URL: `http://127.0.0.1:${boPort}` });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const page = await ctx.newPage();
      await login(page, withBo, admin);
      assert.match(await sendFromTicket(page, { qty: '100', price: '15100', clientOrderId: 'e2e-bo' }), /accepted/);
      await page.locator('[data-testid=blotter-row][data-client-order-id=e2e-bo][data-status=FILLED]').waitFor(WAIT);
      // The back office books the fill from the gateway's event feed; the panel refreshes every 5 samples.
      const row = page.locator('[data-testid=position-row][data-account=ops][data-symbol=AAPL]');
      await row.waitFor({ timeout: 60_000 });
      assert.match((await row.textContent()) ?? '', /100/);
      await shot(page, 'positions');
    } finally {
      await ctx.close();
      await withBo.stop();
    }
  });

  test('a bad token is refused at login with the reason', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${gw.base}/console/`);
    await page.fill('textarea[name=token]', 'not-a-token');
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=login] [role=alert]:text("Token refused")', WAIT);
    await shot(page, 'login');
    await ctx.close();
  });
});

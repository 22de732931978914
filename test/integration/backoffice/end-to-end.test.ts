/**
 * The whole system as `npm start` runs it: the gateway with the embedded venue simulator, the
 * bus, and the back office its launcher starts beside it (backoffice/launcher.ts) — over
 * JetStream (a private nats-server) and over the gateway's own event feed (BUS_KIND=none), with
 * PGlite and with the real PostgreSQL. After orders from several accounts fill (/orders and /v3,
 * buys and sells, three symbols in two currencies), the back office's positions equal the sum of
 * the fills per account and symbol, and its reconciliation says PASS.
 *
 * Conditions are awaited, never timed; bounds are generous.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, post, type RunningGateway, startGateway, token, waitForOutput } from '../../helpers/gateway.js';
import { createDatabase, ensurePostgres, type NatsServer, startNats, waitFor } from './helpers.js';

const SIM = { SOR_VENUES: 'sim', VENUE_SIM_SEED: '11', VENUE_SIM_LATENCY_US: '50', V3_LOSS_GAP_TIMEOUT_MS: '60000' };
const WITH_BACKOFFICE = {
  BACKOFFICE_ENABLE: '1',
  BACKOFFICE_PORT: '0',
  BACKOFFICE_HOST: '127.0.0.1',
  BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
  BACKOFFICE_RETRY_MIN_MS: '10',
  BACKOFFICE_RETRY_MAX_MS: '200',
  LOG_LEVEL: 'info',
};
const ACCOUNTS = ['e2e-1', 'e2e-2', 'e2e-3'];
const SYMBOLS: Array<[string, number]> = [
  ['AAPL', 15_000],
  ['MSFT', 42_000],
  ['BTC', 9_000_000],
];
const ORDERS_PER_ACCOUNT = 12;

interface Placed {
  accountId: string;
  orderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
}

/** Orders that cross the simulator's book (1% through the reference price): they fill. */
async function placeOrders(gw: RunningGateway): Promise<Placed[]> {
  const placed: Placed[] = [];
  await Promise.all(
    ACCOUNTS.map(async (accountId) => {
      const tok = await token(accountId);
      for (let i = 0; i < ORDERS_PER_ACCOUNT; i++) {
        const [symbol, ref] = SYMBOLS[i % SYMBOLS.length]!;
        const side = i % 4 === 3 ? 'SELL' : 'BUY';
        const price = side === 'BUY' ? Math.round(ref * 1.01) : Math.round(ref * 0.99);
        const body = { symbol, side, type: 'LIMIT', qty: 5 + (i % 7), price, timeInForce: 'GTC', clientOrderId: `${accountId}-${i}` };
        const v3 = i % 2 === 1;
        const r = await post(gw.base, v3 ? '/v3/orders' : '/orders', tok, body, v3 ? {} : { 'idempotency-key': `${accountId}-${i}` });
        assert.ok(r.status === 200 || r.status === 202, `${r.status} ${r.text}`);
        placed.push({ accountId, orderId: r.json.orderId, symbol, side });
      }
    }),
  );
  return placed;
}

/** Net filled quantity per account and symbol, from the gateway's own orders once all filled. */
async function filledPositions(gw: RunningGateway, placed: Placed[]): Promise<Map<string, number>> {
  const toks = new Map(await Promise.all(ACCOUNTS.map(async (a) => [a, await token(a)] as const)));
  const net = new Map<string, number>();
  for (const p of placed) {
    const o = await waitFor(`order ${p.orderId} filled`, async () => {
      const r = await get(gw.base, `/orders/${p.orderId}`, toks.get(p.accountId));
      return r.status === 200 && r.json.status === 'FILLED' ? r.json : undefined;
    });
    const k = `${p.accountId}/${p.symbol}`;
    net.set(k, (net.get(k) ?? 0) + (p.side === 'BUY' ? 1 : -1) * (o.filledQty as number));
  }
  return net;
}

async function backofficeJson(url: string, path: string, tok: string): Promise<any> {
  const r = await fetch(url + path, { headers: { authorization: `Bearer ${tok}` } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
}

/** Runs the scenario on a gateway started with `env`; returns what the back office booked. */
async function scenario(env: Record<string, string>): Promise<void> {
  const gw = await startGateway({ ...SIM, ...WITH_BACKOFFICE, ...env });
  try {
    const line = await waitForOutput(gw, /back office listening at/, 120_000);
    const url = (JSON.parse(line) as { url: string }).url;
    const placed = await placeOrders(gw);
    const want = await filledPositions(gw, placed);
    assert.equal(want.size, ACCOUNTS.length * SYMBOLS.length);
    // a gateway token works on the back office: the same secret
    const admin = await token('ops', { roles: ['admin'] });
    const booked = await waitFor(
      'the back office booked every fill',
      async () => {
        const got = new Map<string, number>();
        for (const a of ACCOUNTS) {
          const { positions } = await backofficeJson(url, `/positions?accountId=${a}`, admin);
          for (const p of positions as Array<{ accountId: string; symbol: string; netQty: number | string }>) got.set(`${p.accountId}/${p.symbol}`, Number(p.netQty));
        }
        return [...want].every(([k, v]) => got.get(k) === v) && got.size === want.size ? got : undefined;
      },
      120_000,
    );
    assert.deepEqual(new Map([...booked].sort()), new Map([...want].sort()));
    // each account sees its own books with its own token, and its fills add up to its positions
    for (const a of ACCOUNTS) {
      const own = await token(a);
      const { fills } = await backofficeJson(url, '/fills?limit=1000', own);
      const sum = new Map<string, number>();
      for (const f of fills as Array<{ accountId: string; symbol: string; side: string; qty: number | string }>) {
        assert.equal(f.accountId, a);
        sum.set(`${a}/${f.symbol}`, (sum.get(`${a}/${f.symbol}`) ?? 0) + (f.side === 'BUY' ? 1 : -1) * Number(f.qty));
      }
      for (const [sym] of SYMBOLS) assert.equal(sum.get(`${a}/${sym}`), want.get(`${a}/${sym}`), `${a} ${sym} fills`);
    }
    const rec = await backofficeJson(url, '/reconcile', admin);
    assert.equal(rec.result, 'PASS', JSON.stringify(rec));
    const bal = await backofficeJson(url, '/balances', admin);
    assert.ok(new Set((bal.balances as Array<{ currency: string }>).map((b) => b.currency)).size >= 2, 'USD and USDT');
  } finally {
    assert.equal(await gw.stop(), 0);
  }
  assert.ok(gw.output.some((l) => l.includes('back office: stopped')), 'the back office stopped with the gateway');
}

describe('end to end: gateway + embedded venue + JetStream + back office', () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNats();
  });
  after(() => nats.stop());

  it('PGlite: positions equal the fills per account and symbol, reconcile PASS', async () => {
    await scenario({ BUS_KIND: 'nats', NATS_URL: nats.url, BUS_STREAM: 'E2E_PGLITE', BUS_SUBJECT_PREFIX: 'e2e.pglite', BACKOFFICE_CONSUMER: 'e2e-pglite' });
  });

  it('PostgreSQL: positions equal the fills per account and symbol, reconcile PASS', async (t) => {
    if ((await ensurePostgres()) !== null) return t.skip('PostgreSQL is not reachable on 127.0.0.1:5432');
    const db = await createDatabase();
    try {
      await scenario({ BUS_KIND: 'nats', NATS_URL: nats.url, BUS_STREAM: 'E2E_PG', BUS_SUBJECT_PREFIX: 'e2e.pg', BACKOFFICE_CONSUMER: 'e2e-pg', BACKOFFICE_DATABASE_URL: db.url });
    } finally {
      await db.drop();
    }
  });
});

describe('end to end: gateway + embedded venue + event feed (BUS_KIND=none) + back office', () => {
  it('PGlite: positions equal the fills per account and symbol, reconcile PASS', async () => {
    await scenario({ BUS_KIND: 'none' });
  });

  it('PostgreSQL: positions equal the fills per account and symbol, reconcile PASS', async (t) => {
    if ((await ensurePostgres()) !== null) return t.skip('PostgreSQL is not reachable on 127.0.0.1:5432');
    const db = await createDatabase();
    try {
      await scenario({ BUS_KIND: 'none', BACKOFFICE_DATABASE_URL: db.url });
    } finally {
      await db.drop();
    }
  });
});

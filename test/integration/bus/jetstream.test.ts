/**
 * The outbox relay against real NATS JetStream (BUS_KIND=nats): every event of a run arrives once
 * per event id, in journal order per account, valid bus_event_v1, on its account's subject;
 * NATS stopped mid-run and started again; the gateway killed mid-run and restarted from its
 * checkpoint; NATS unreachable at start-up. The reference for "every event" is the gateway's own
 * feed (GET /events/feed), which replays the journals.
 *
 * Tests that stop NATS run their own nats-server; the others use 127.0.0.1:4222 when it answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accountFromToken } from '../../../src/bus/stream.js';
import { get, metrics, ORDER, post, type RunningGateway, startGateway, token } from '../../helpers/gateway.js';
import { tempDir } from '../backoffice/helpers.js';
import { checkEvents, type FeedEvent, followFeed, inJournalOrder, ownStream, privateNats, readStream, sharedNats, until } from './helpers.js';

const SIM = { SOR_VENUES: 'sim', VENUE_SIM_SEED: '7', VENUE_SIM_LATENCY_US: '50', V3_LOSS_GAP_TIMEOUT_MS: '60000', BUS_RETRY_MIN_MS: '20', BUS_RETRY_MAX_MS: '300' };
const ACCOUNTS = ['acct-a', 'acct.b', 'acct-c'];

function ok(r: { status: number; json?: unknown }): void {
  assert.ok(r.status >= 200 && r.status < 300, `HTTP ${r.status} ${JSON.stringify(r.json)}`);
}

/** Orders on both entry paths for every account; returns how many were sent. */
async function orders(gw: RunningGateway, toks: string[], n: number, tag: string): Promise<number> {
  let sent = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < toks.length; a++) {
      ok(await post(gw.base, '/orders', toks[a]!, { ...ORDER, qty: 5, price: 15_000 + (i % 3) * 50, clientOrderId: `${tag}-o-${i}` }));
      ok(await post(gw.base, '/v3/orders', toks[a]!, { ...ORDER, qty: 5, side: 'SELL', price: 14_950, clientOrderId: `${tag}-v-${i}` }));
      sent += 2;
    }
  }
  return sent;
}

/** Every event the journals hold (the feed's replay), once it has stopped growing. */
async function journalEvents(gw: RunningGateway, admin: string): Promise<FeedEvent[]> {
  let prev = -1;
  let f = followFeed(gw.base, admin);
  for (;;) {
    await until('feed replay', () => f.events.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    const n = f.events.length;
    f.stop();
    if (n === prev) return f.events;
    prev = n;
    f = followFeed(gw.base, admin);
  }
}

/** JetStream holds exactly the journal's events, once each, in journal order per account, on the account's subject. */
async function assertExactlyOnce(url: string, stream: string, prefix: string, want: FeedEvent[]): Promise<void> {
  const wantIds = checkEvents(want);
  let got: Awaited<ReturnType<typeof readStream>> = [];
  await until(`${want.length} events in JetStream`, async () => {
    got = await readStream(url, stream);
    return got.length >= want.length;
  }, 120_000);
  checkEvents(got); // valid, and no id twice
  assert.equal(got.length, want.length);
  for (const g of got) {
    assert.ok(wantIds.has(g.id), `unexpected ${g.id}`);
    assert.equal(accountFromToken(g.subject.slice(prefix.length + 1)), g.event.accountId);
  }
  assert.ok(inJournalOrder(got), 'journal order per account');
  const byId = new Map(want.map((w) => [w.id, w.event]));
  for (const g of got) assert.deepEqual(g.event, byId.get(g.id));
}

describe('bus on NATS JetStream (shared server)', () => {
  let nats: { url: string; stop(): Promise<void> };
  let gw: RunningGateway;
  const s = ownStream('once');
  before(async () => {
    nats = await sharedNats();
    gw = await startGateway({ ...SIM, BUS_KIND: 'nats', NATS_URL: nats.url, ...s });
  });
  after(async () => {
    await gw?.stop();
    await nats?.stop();
  });

  it('publishes every event once per id, in journal order per account, valid bus_event_v1, per-account subjects', async () => {
    const toks = await Promise.all(ACCOUNTS.map((a) => token(a)));
    await orders(gw, toks, 10, 'r1');
    const admin = await token('ops', { roles: ['admin'] });
    const want = await journalEvents(gw, admin);
    assert.ok(want.some((e) => e.event.type === 'ExecutionReport'));
    await assertExactlyOnce(nats.url, s.BUS_STREAM, s.BUS_SUBJECT_PREFIX, want);
    const m = await metrics(gw.base);
    await until('lag 0', async () => (await metrics(gw.base)).get('gateway_bus_lag_records') === 0);
    assert.ok(m.get('gateway_bus_published_total')! >= want.length);
  });
});

describe('bus on a private NATS server that stops mid-run', () => {
  let gw: RunningGateway;
  let nats: Awaited<ReturnType<typeof privateNats>>;
  const s = ownStream('outage');
  const dataDir = tempDir('sy-bus-js-');
  before(async () => {
    nats = await privateNats();
    await nats.start();
    gw = await startGateway({ ...SIM, BUS_KIND: 'nats', NATS_URL: nats.url, GATEWAY_DATA_DIR: dataDir.path, ...s });
  });
  after(async () => {
    await gw?.stop();
    await nats?.remove();
    dataDir.remove();
  });

  it('NATS stopped and restarted: orders are acknowledged throughout, the relay catches up, nothing lost or doubled', async () => {
    const toks = await Promise.all(ACCOUNTS.map((a) => token(a)));
    await orders(gw, toks, 5, 'before');
    await until('first events in JetStream', async () => (await metrics(gw.base)).get('gateway_bus_published_total')! > 0);
    await nats.stop();
    await orders(gw, toks, 10, 'during'); // every ack succeeds (ok() asserts each)
    await until('the outage seen', async () => {
      const m = await metrics(gw.base);
      return m.get('gateway_bus_errors_total')! > 0 && m.get('gateway_bus_lag_records')! > 0;
    });
    const lagging = await metrics(gw.base);
    assert.ok(lagging.get('gateway_bus_lag_ms')! >= 0);
    assert.ok(gw.output.some((l) => l.includes('not usable; retrying')), 'one clear log line');
    await nats.start();
    await orders(gw, toks, 3, 'after');
    const admin = await token('ops', { roles: ['admin'] });
    const want = await journalEvents(gw, admin);
    await assertExactlyOnce(nats.url, s.BUS_STREAM, s.BUS_SUBJECT_PREFIX, want);
    await until('lag back to 0', async () => (await metrics(gw.base)).get('gateway_bus_lag_records') === 0);
  });

  it('gateway killed mid-run: the restart resumes from its checkpoint; JetStream still holds each event once', async () => {
    const toks = await Promise.all(ACCOUNTS.map((a) => token(a)));
    await orders(gw, toks, 5, 'k1');
    await gw.kill();
    gw = await startGateway({ ...SIM, BUS_KIND: 'nats', NATS_URL: nats.url, GATEWAY_DATA_DIR: dataDir.path, LOG_LEVEL: 'info', ...s });
    const resumed = await until('publishing line', () => gw.output.find((l) => l.includes('bus: publishing to NATS JetStream')));
    const from = (JSON.parse(resumed) as { from: Record<string, number> }).from;
    assert.ok(from.orders! > 0, `resumed from a checkpoint: ${JSON.stringify(from)}`);
    await orders(gw, toks, 3, 'k2');
    const admin = await token('ops', { roles: ['admin'] });
    const want = await journalEvents(gw, admin);
    await assertExactlyOnce(nats.url, s.BUS_STREAM, s.BUS_SUBJECT_PREFIX, want);
  });
});

describe('bus with NATS unreachable at start-up', () => {
  it('starts, says so once, keeps accepting orders, retries, and publishes once NATS is there', async () => {
    const nats = await privateNats();
    const s = ownStream('late');
    const gw = await startGateway({ ...SIM, BUS_KIND: 'nats', NATS_URL: nats.url, ...s });
    try {
      const tok = await token('acct-late');
      ok(await post(gw.base, '/orders', tok, { ...ORDER, clientOrderId: 'late-1' }));
      ok(await post(gw.base, '/v3/orders', tok, { ...ORDER, clientOrderId: 'late-2' }));
      await until('the log line', () => gw.output.some((l) => l.includes(`NATS JetStream at ${nats.url} not usable; retrying`)));
      await until('errors counted, backing off', async () => {
        const m = await metrics(gw.base);
        return m.get('gateway_bus_errors_total')! > 0 && m.get('gateway_bus_connected') === 0;
      });
      assert.equal((await get(gw.base, '/health')).status, 200);
      await nats.start();
      const admin = await token('ops', { roles: ['admin'] });
      const want = await journalEvents(gw, admin);
      await assertExactlyOnce(nats.url, s.BUS_STREAM, s.BUS_SUBJECT_PREFIX, want);
    } finally {
      await gw.stop();
      await nats.remove();
    }
  });
});

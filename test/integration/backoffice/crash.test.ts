/**
 * kill -9 of the back office (the compiled main as a child process) while it books a JetStream
 * stream, then a restart: every fill is booked exactly once (none lost, none doubled), positions
 * equal the sum of the fills per account and symbol, and reconcile says PASS. On PGlite (the
 * default) and on PostgreSQL. The stream is published before each start, so the back office books
 * it in batches (BACKOFFICE_BATCH_MAX, small here so that the kill falls between many commits):
 * the test checks that it did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mintToken } from '../../../src/auth/token.js';
import { ensureStream, loadBusStreamConfig, subjectFor } from '../../../src/bus/stream.js';
import { accepted, other, type Recorded, report } from '../../unit/backoffice/fixtures.js';
import { type BackofficeProcess, createDatabase, ensurePostgres, getJson, type NatsServer, SECRET, startBackofficeProcess, startNats, tempDir, waitFor } from './helpers.js';

const ACCOUNTS = ['acct-0', 'acct-1', 'acct-2', 'acct-3', 'acct-4'];
const SYMBOLS: Array<[string, number]> = [
  ['AAPL', 15_000],
  ['MSFT', 42_000],
  ['BTC', 9_000_000],
  ['ETH', 350_000],
];

/** A deterministic order flow: each order accepted, sent, filled in two parts. */
function orderFlow(orders: number, firstSeq: number, seed: number): { events: Recorded[]; net: Map<string, number>; fills: number } {
  let s = seed;
  const rnd = (n: number): number => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) % n);
  const events: Recorded[] = [];
  const net = new Map<string, number>();
  let seq = firstSeq;
  for (let i = 0; i < orders; i++) {
    const acct = ACCOUNTS[rnd(ACCOUNTS.length)]!;
    const [sym, ref] = SYMBOLS[rnd(SYMBOLS.length)]!;
    const side = rnd(2) === 0 ? 'BUY' : 'SELL';
    const qty = 2 + rnd(99);
    const px1 = ref + rnd(100) - 50;
    const px2 = ref + rnd(100) - 50;
    const part = 1 + rnd(qty - 1);
    const id = `o-${seed}-${i}`;
    events.push(accepted(`gw1.orders.${seq++}`, acct, id, sym, side, qty, ref + 100));
    events.push(other(`gw1.orders.${seq++}`, 'OrderSent', acct, id, { venue: 'SIM' }));
    events.push(report(`gw1.orders.${seq++}`, acct, id, sym, side, { cumQty: part, lastQty: part, lastPx: px1, avgPx: px1, leavesQty: qty - part }));
    events.push(report(`gw1.orders.${seq++}`, acct, id, sym, side, { cumQty: qty, lastQty: qty - part, lastPx: px2, avgPx: (part * px1 + (qty - part) * px2) / qty, leavesQty: 0 }));
    const k = `${acct}|${sym}`;
    net.set(k, (net.get(k) ?? 0) + (side === 'BUY' ? qty : -qty));
  }
  return { events, net, fills: orders * 2 };
}

const pgSkip = await ensurePostgres();
if (pgSkip !== null) console.warn(`\n*** SKIPPING the PostgreSQL crash test: ${pgSkip} ***\n`);

for (const storage of ['pglite', 'postgres'] as const) {
  describe(`back office kill -9 mid-stream (${storage})`, { skip: storage === 'postgres' && pgSkip !== null ? pgSkip! : false }, () => {
    let nats: NatsServer;
    let nc: NatsConnection;
    const dir = tempDir('sy-bo-crash-');
    let db: { url: string; drop(): Promise<void> } | undefined;
    let bo: BackofficeProcess | undefined;
    const streamEnv = { BUS_STREAM: 'BO_CRASH', BUS_SUBJECT_PREFIX: 'crash.events' };

    before(async () => {
      nats = await startNats();
      nc = await connect({ servers: nats.url });
      await ensureStream(await jetstreamManager(nc), loadBusStreamConfig(streamEnv));
      if (storage === 'postgres') db = await createDatabase();
    });

    after(async () => {
      if (bo !== undefined && bo.proc.exitCode === null) await bo.kill();
      await nc?.close();
      await nats?.stop();
      await db?.drop();
      dir.remove();
    });

    it('loses and doubles no fill across a kill -9 and a restart; reconcile PASS', async (t) => {
      const cfg = loadBusStreamConfig(streamEnv);
      const js = jetstream(nc);
      const publish = async (events: Recorded[]): Promise<void> => {
        for (const r of events) await js.publish(subjectFor(cfg, r.event.accountId), JSON.stringify(r.event), { msgID: r.id });
      };
      const first = orderFlow(600, 1, 17);
      const second = orderFlow(150, 1 + first.events.length, 29);
      await publish(first.events);

      const env: Record<string, string> = {
        ...streamEnv,
        BUS_KIND: 'nats',
        NATS_URL: nats.url,
        GATEWAY_DATA_DIR: dir.path,
        BACKOFFICE_RETRY_MIN_MS: '20',
        BACKOFFICE_RETRY_MAX_MS: '200',
        BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
        BACKOFFICE_BATCH_MAX: '16',
        ...(db !== undefined ? { BACKOFFICE_DATABASE_URL: db.url } : {}),
      };
      const admin = await mintToken({ secret: SECRET, accountId: 'ops', roles: ['admin'] });
      bo = await startBackofficeProcess(env);
      const fillsBooked = async (b: BackofficeProcess): Promise<number> => (await getJson(b.base, '/stats', admin)).json.books.fills as number;
      const atKill = await waitFor('some fills booked', async () => {
        const n = await fillsBooked(bo!);
        return n >= 50 ? n : undefined;
      });
      const batchesBeforeKill = (await getJson(bo.base, '/stats', admin)).json.events.batches as number;
      await bo.kill();
      assert.equal(bo.proc.signalCode, 'SIGKILL');
      t.diagnostic(`killed with ${atKill} of ${first.fills} fills of the first part booked`);

      await publish(second.events); // more events arrive while it is down
      bo = await startBackofficeProcess(env);
      const total = first.fills + second.fills;
      await waitFor(`all ${total} fills booked (${atKill} at the kill)`, async () => (await fillsBooked(bo!)) === total, 180_000);

      const fills: Array<{ eventId: string; accountId: string; symbol: string; side: string; qty: number }> = [];
      for (let after = 0; ; ) {
        const page = await getJson(bo.base, `/fills?limit=1000&after=${after}`, admin);
        fills.push(...page.json.fills);
        if (page.json.next === null) break;
        after = page.json.next;
      }
      assert.equal(fills.length, total);
      const batches = (await getJson(bo.base, '/stats', admin)).json.events.batches as number;
      t.diagnostic(`transactions of several events: ${batchesBeforeKill} before the kill, ${batches} after the restart`);
      assert.ok(batchesBeforeKill > 0 && batches > 0, 'the backlog was booked in batches');
      assert.equal(new Set(fills.map((f) => f.eventId)).size, total, 'no event booked twice');

      const expected = new Map<string, number>();
      for (const flow of [first, second]) for (const [k, v] of flow.net) expected.set(k, (expected.get(k) ?? 0) + v);
      const fromFills = new Map<string, number>();
      for (const f of fills) {
        const k = `${f.accountId}|${f.symbol}`;
        fromFills.set(k, (fromFills.get(k) ?? 0) + (f.side === 'BUY' ? f.qty : -f.qty));
      }
      const positions = (await getJson(bo.base, '/positions', admin)).json.positions as Array<{ accountId: string; symbol: string; netQty: number }>;
      const fromPositions = new Map(positions.map((p) => [`${p.accountId}|${p.symbol}`, p.netQty]));
      assert.deepEqual(fromPositions, expected);
      assert.deepEqual(fromFills, expected);

      const rec = await getJson(bo.base, '/reconcile', admin);
      assert.equal(rec.json.result, 'PASS', JSON.stringify(rec.json.differences?.slice(0, 5)));
      assert.equal(rec.json.ledgerEntries, total);

      assert.equal(await bo.stop(), 0, 'SIGTERM: clean exit 0');
    });
  });
}

/**
 * BUS_KIND=nats against a real, private nats-server with JetStream: events published with their
 * id as Nats-Msg-Id are booked once; a redelivered id and a replay of the whole stream (consumer
 * deleted) change nothing; NATS down at start is logged and retried, never fatal.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { mintToken } from '../../../src/auth/token.js';
import { type BusStreamConfig, ensureStream, loadBusStreamConfig, subjectFor } from '../../../src/bus/stream.js';
import { loadBackofficeConfig } from '../../../src/backoffice/config.js';
import { type RunningBackoffice, startBackoffice } from '../../../src/backoffice/service.js';
import { allStreams, report, type Recorded } from '../../unit/backoffice/fixtures.js';
import { freePort, getJson, type NatsServer, quietLog, SECRET, startNats, tempDir, waitFor } from './helpers.js';

const STREAM_ENV = { BUS_STREAM: 'BO_TEST', BUS_SUBJECT_PREFIX: 'test.events', BUS_DEDUP_WINDOW_MS: '200' };

class Publisher {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly cfg: BusStreamConfig,
  ) {}

  static async open(url: string): Promise<Publisher> {
    const nc = await connect({ servers: url });
    const cfg = loadBusStreamConfig(STREAM_ENV);
    await ensureStream(await jetstreamManager(nc), cfg);
    return new Publisher(nc, cfg);
  }

  /** Publishes with the event id as Nats-Msg-Id; returns whether JetStream dropped it as a duplicate. */
  async publish(r: Recorded): Promise<boolean> {
    const ack = await jetstream(this.nc).publish(subjectFor(this.cfg, r.event.accountId), JSON.stringify(r.event), { msgID: r.id });
    return ack.duplicate;
  }

  async deleteConsumer(name: string): Promise<void> {
    await (await jetstreamManager(this.nc)).consumers.delete(this.cfg.stream, name);
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

function config(natsUrl: string, dataDir: string) {
  return loadBackofficeConfig({
    ...STREAM_ENV,
    BUS_KIND: 'nats',
    NATS_URL: natsUrl,
    BACKOFFICE_PORT: '0',
    BACKOFFICE_HOST: '127.0.0.1',
    JWT_HS256_SECRET: SECRET,
    GATEWAY_DATA_DIR: dataDir,
    BACKOFFICE_RETRY_MIN_MS: '20',
    BACKOFFICE_RETRY_MAX_MS: '200',
    BACKOFFICE_RECONCILE_INTERVAL_SEC: '0',
  });
}

async function booksText(base: string, token: string): Promise<string> {
  const parts = [];
  for (const path of ['/positions', '/balances', '/fills?limit=1000', '/ledger?limit=1000']) parts.push((await getJson(base, path, token)).json);
  return JSON.stringify(parts);
}

describe('back office on NATS JetStream (BUS_KIND=nats)', () => {
  let nats: NatsServer;
  let pub: Publisher;
  const dir = tempDir('sy-bo-js-');
  let bo: RunningBackoffice;
  let base: string;
  let admin: string;

  before(async () => {
    nats = await startNats();
    pub = await Publisher.open(nats.url);
    admin = await mintToken({ secret: SECRET, accountId: 'ops', roles: ['admin'] });
  });

  after(async () => {
    await bo?.stop();
    await pub?.close();
    await nats?.stop();
    dir.remove();
  });

  it('books events published with their id as Nats-Msg-Id, acking each after its commit', async () => {
    for (const r of allStreams()) assert.equal(await pub.publish(r), false);
    bo = await startBackoffice(config(nats.url, dir.path), quietLog());
    base = `http://127.0.0.1:${bo.port}`;
    await waitFor('all booked', () => bo.stats.appliedTotal === allStreams().length);
    assert.equal(bo.stats.fills, 9);
    assert.equal(bo.stats.duplicates, 0);
    assert.equal((await getJson(base, '/reconcile', admin)).json.result, 'PASS');
    const health = await getJson(base, '/health');
    assert.deepEqual([health.json.status, health.json.input.kind, health.json.input.pending], ['ok', 'nats', 0]);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /backoffice_consumer_pending 0/);
  });

  it('a redelivered event id changes nothing', async () => {
    const before = await booksText(base, admin);
    const again = allStreams()[4]!; // a fill
    // outside JetStream's duplicate window the same id is stored again and delivered again
    await waitFor('JetStream to accept the same id again', () => pub.publish(again).then((dup) => !dup), 10_000);
    await waitFor('the redelivery seen', () => bo.stats.duplicates === 1);
    assert.equal(await booksText(base, admin), before);
    assert.equal(bo.stats.fills, 9);
  });

  it('a replay of the whole stream (consumer deleted and re-created) changes nothing', async () => {
    const before = await booksText(base, admin);
    const dups = bo.stats.duplicates;
    await pub.deleteConsumer('backoffice');
    await waitFor('the stream replayed', () => bo.stats.duplicates === dups + allStreams().length + 1);
    assert.equal(await booksText(base, admin), before);
    // and new events still flow
    await pub.publish(report('gw1.orders.500', 'acct-7', 'o-500', 'NVDA', 'BUY', { cumQty: 2, lastQty: 2, lastPx: 14_000, avgPx: 14_000, leavesQty: 0 }));
    await waitFor('the new fill', () => bo.stats.fills === 10);
    assert.equal((await getJson(base, '/reconcile', admin)).json.result, 'PASS');
  });

  it('a restart resumes from the durable consumer: nothing is booked twice', async () => {
    await bo.stop();
    await pub.publish(report('gw1.orders.501', 'acct-7', 'o-501', 'NVDA', 'SELL', { cumQty: 1, lastQty: 1, lastPx: 14_100, avgPx: 14_100, leavesQty: 0 }));
    bo = await startBackoffice(config(nats.url, dir.path), quietLog());
    base = `http://127.0.0.1:${bo.port}`;
    await waitFor('the event published while down', () => bo.stats.fills === 1);
    const pos = await getJson(base, '/positions?accountId=acct-7', admin);
    assert.deepEqual(pos.json.positions.map((p: { netQty: number }) => p.netQty), [1]);
    assert.equal((await getJson(base, '/stats', admin)).json.books.fills, 11);
  });
});

describe('back office with NATS down at start', () => {
  it('logs a clear line, keeps retrying, serves meanwhile, and books once NATS is up', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const dir = tempDir('sy-bo-js-down-');
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const bo = await startBackoffice(config(url, dir.path), log);
    const base = `http://127.0.0.1:${bo.port}`;
    let nats: NatsServer | undefined;
    let pub: Publisher | undefined;
    try {
      await waitFor('the retry logged', () => lines.some((l) => l.includes('not usable; retrying') && l.includes(url)));
      const health = await getJson(base, '/health');
      assert.equal(health.json.status, 'degraded');
      assert.equal(health.json.input.connected, false);
      assert.ok(health.json.input.lastError);
      nats = await startNats(port);
      pub = await Publisher.open(url);
      for (const r of allStreams().slice(0, 5)) await pub.publish(r);
      await waitFor('booked after NATS came up', () => bo.stats.fills === 2);
      assert.equal((await getJson(base, '/health')).json.status, 'ok');

      // NATS restarts under a running back office: it reconnects and carries on
      await nats.restart();
      await waitFor('reconnected', () => pub!.publish(allStreams()[5]!).then(() => true), 30_000);
      await pub.publish(allStreams()[6]!);
      await waitFor('booked after the restart', () => bo.stats.fills === 3);
    } finally {
      await bo.stop();
      await pub?.close();
      await nats?.stop();
      dir.remove();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import {
  ConnectTimeoutError,
  ConnectionClosedError,
  ConnectionLostError,
  HeartbeatTimeoutError,
  InvalidRequestError,
  LoginRejectedError,
  NotConnectedError,
  ProtocolViolationError,
  ServerGoodbyeError,
  SwitchyardClient,
  type ClientOptions,
  type OrderRequest,
  type OrderResult,
} from '@switchyard/client';
import { MsgType, PROTOCOL_REASON_CODES, type NewOrderMsg } from '@switchyard/protocol';
import { REASONS } from '../../../src/contract/reasons.js';
import { FakeServer } from './fake-server.js';

const aapl: OrderRequest = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: 100, price: 15000 };

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

function opts(srv: FakeServer, extra: Partial<ClientOptions> = {}): ClientOptions {
  return { host: '127.0.0.1', port: srv.port, token: 'tok', autoTick: false, ...extra };
}

/** Starts a fake server, runs `fn`, and always stops the server. */
async function withServer(
  serverOpts: Parameters<typeof FakeServer.start>[0],
  fn: (srv: FakeServer) => Promise<void>,
): Promise<void> {
  const srv = await FakeServer.start(serverOpts);
  try {
    await fn(srv);
  } finally {
    await srv.stop();
  }
}

test('new order: ack and typed reject', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    assert.equal(c.state, 'active');
    assert.equal(c.session?.sessionId, 'S1');
    assert.equal(c.session?.heartbeatMs, 1000);
    const a = await c.newOrder({ ...aapl, clientOrderId: 'c1' });
    assert.equal(a.status, 'ACK');
    assert.ok(a.status === 'ACK');
    assert.equal(a.clientSeq, 1);
    assert.equal(a.orderId, 1);
    assert.equal(a.receivedAtNs, 1_700_000_000_000_000_001n);
    const r = await c.newOrder({ ...aapl, symbol: 'REJ' });
    assert.deepEqual(r, { status: 'REJECTED', clientSeq: 2, reason: 'INVALID_SYMBOL', reasonCode: REASONS.INVALID_SYMBOL });
    const sent = srv.allReceived().filter((m): m is NewOrderMsg => m.type === MsgType.NewOrder);
    assert.equal(sent[0].clientOrderId, 'c1');
    assert.equal(sent[0].price, 15000);
    await c.close();
    assert.equal(c.state, 'closed');
  }));

test('pipelining: many outstanding orders and cancels, answered in order', () =>
  withServer({ batch: 300 }, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const promises: Promise<OrderResult | { status: string; clientSeq: number }>[] = [];
    for (let i = 1; i <= 600; i++) {
      if (i % 10 === 0) promises.push(c.cancel({ orderId: i - 1 }));
      else promises.push(c.newOrder({ ...aapl, symbol: i % 7 === 0 ? 'REJ' : 'AAPL' }));
    }
    assert.equal(c.outstanding, 600);
    const results = await Promise.all(promises);
    assert.equal(c.outstanding, 0);
    results.forEach((r, idx) => {
      const seq = idx + 1;
      assert.equal(r.clientSeq, seq);
      const want = seq % 10 === 0 ? 'CANCEL_ACK' : seq % 7 === 0 ? 'REJECTED' : 'ACK';
      assert.equal(r.status, want, `seq ${seq}`);
    });
    const seqs = srv.allReceived().flatMap((m) => ('clientSeq' in m ? [m.clientSeq] : []));
    assert.deepEqual(seqs, Array.from({ length: 600 }, (_, i) => i + 1));
    await c.close();
  }));

test('cancel by orderId and by clientOrderId; cancel reject is typed', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    assert.deepEqual(await c.cancel({ orderId: 42 }), { status: 'CANCEL_ACK', clientSeq: 1, orderId: 42 });
    assert.deepEqual(await c.cancel({ clientOrderId: 'c-7' }), { status: 'CANCEL_ACK', clientSeq: 2, orderId: 999 });
    assert.deepEqual(await c.cancel({ clientOrderId: 'nope' }), {
      status: 'CANCEL_REJECTED',
      clientSeq: 3,
      reason: 'ORDER_NOT_FOUND',
      reasonCode: REASONS.ORDER_NOT_FOUND,
    });
    await c.close();
  }));

test('login rejected surfaces a typed error', () =>
  withServer({ login: (t) => (t === 'good' ? null : { reasonCode: PROTOCOL_REASON_CODES.AUTH_FAILED, text: 'bad token' }) }, async (srv) => {
    await assert.rejects(SwitchyardClient.connect(opts(srv, { token: 'bad' })), (e: unknown) => {
      assert.ok(e instanceof LoginRejectedError);
      assert.equal(e.code, 'LOGIN_REJECTED');
      assert.equal(e.reason, 'AUTH_FAILED');
      assert.equal(e.reasonCode, PROTOCOL_REASON_CODES.AUTH_FAILED);
      assert.equal(e.text, 'bad token');
      return true;
    });
    const ok = await SwitchyardClient.connect(opts(srv, { token: async () => 'good' }));
    await ok.close();
  }));

test('heartbeat: sent when idle; missed heartbeats end the session and fail outstanding orders', () =>
  withServer({ batch: 1000 }, async (srv) => {
    const clock = new FakeClock();
    const c = await SwitchyardClient.connect(opts(srv, { clock, heartbeatMs: 1000 }));
    const events: string[] = [];
    c.on('disconnected', (e) => events.push(`disconnected:${e.name}`));
    c.on('closed', (e) => events.push(`closed:${e?.name}`));

    clock.t = 999;
    c.tick();
    clock.t = 1000;
    const hb = srv.waitFor((m) => m.type === MsgType.Heartbeat);
    c.tick();
    await hb;

    const pending = c.newOrder(aapl); // held by the server: never answered
    await srv.waitFor((m) => m.type === MsgType.NewOrder);
    clock.t = 2999;
    c.tick();
    assert.equal(c.state, 'active');
    clock.t = 3000;
    c.tick();
    await assert.rejects(pending, (e: unknown) => {
      assert.ok(e instanceof ConnectionLostError);
      assert.equal(e.clientSeq, 1);
      assert.ok(e.cause instanceof HeartbeatTimeoutError);
      return true;
    });
    assert.deepEqual(events, ['disconnected:HeartbeatTimeoutError', 'closed:HeartbeatTimeoutError']);
    assert.equal(c.state, 'closed');
    await assert.rejects(c.newOrder(aapl), NotConnectedError);
  }));

test('heartbeat: any data from the server keeps the session alive', () =>
  withServer({}, async (srv) => {
    const clock = new FakeClock();
    const c = await SwitchyardClient.connect(opts(srv, { clock, heartbeatMs: 1000 }));
    clock.t = 2500;
    const got = once(c, 'heartbeat');
    srv.connections[0].writeRaw(FakeServer.heartbeatFrame());
    await got;
    clock.t = 5499;
    c.tick();
    assert.equal(c.state, 'active');
    clock.t = 5500;
    c.tick();
    assert.equal(c.state, 'closed');
  }));

test('reconnect after a lost session: outstanding orders fail, nothing is resent', () =>
  withServer({ batch: 1000 }, async (srv) => {
    const c = await SwitchyardClient.connect(
      opts(srv, { reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0, maxAttempts: 5 } }),
    );
    const lost = c.newOrder(aapl);
    await srv.waitFor((m) => m.type === MsgType.NewOrder);
    const disconnected = once(c, 'disconnected');
    const reconnecting = once(c, 'reconnecting');
    const connected = once(c, 'connected');
    srv.connections[0].socket.destroy();

    await assert.rejects(lost, ConnectionLostError);
    const [cause] = await disconnected;
    assert.ok(cause instanceof ConnectionClosedError);
    assert.deepEqual(await reconnecting, [1, 1]);
    const [info] = await connected;
    assert.equal(info.sessionId, 'S2');
    assert.equal(c.state, 'active');

    const next = c.newOrder(aapl);
    await srv.waitFor((m) => m.type === MsgType.NewOrder);
    srv.connections[1].flush();
    const r = await next;
    assert.equal(r.status, 'ACK');
    assert.equal(r.clientSeq, 2);

    const orders = srv.allReceived().filter((m) => m.type === MsgType.NewOrder);
    assert.equal(orders.length, 2, 'the lost order was not resent');
    assert.equal(srv.connections[0].received.filter((m) => m.type === MsgType.NewOrder).length, 1);
    await c.close();
  }));

test('requests while reconnecting fail at once with NotConnectedError', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv, { reconnect: { initialDelayMs: 60_000, jitter: 0 } }));
    const reconnecting = once(c, 'reconnecting');
    srv.connections[0].socket.destroy();
    await reconnecting;
    assert.equal(c.state, 'reconnecting');
    await assert.rejects(c.newOrder(aapl), (e: unknown) => e instanceof NotConnectedError && e.code === 'NOT_CONNECTED');
    await c.close(); // also stops the pending reconnect
    assert.equal(c.state, 'closed');
    assert.equal(srv.connections.length, 1);
  }));

test('server Goodbye is an event and ends the session', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const goodbye = once(c, 'goodbye');
    const closed = once(c, 'closed');
    srv.connections[0].send({ type: MsgType.Goodbye, reasonCode: PROTOCOL_REASON_CODES.SERVER_SHUTDOWN, text: 'maintenance' });
    const [info] = await goodbye;
    assert.deepEqual(info, { reason: 'SERVER_SHUTDOWN', reasonCode: PROTOCOL_REASON_CODES.SERVER_SHUTDOWN, text: 'maintenance' });
    const [cause] = await closed;
    assert.ok(cause instanceof ServerGoodbyeError);
    assert.equal(cause.reason, 'SERVER_SHUTDOWN');
  }));

test('every server message is emitted as "message"', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const seen: string[] = [];
    c.on('message', (m) => seen.push(MsgType[m.type]));
    await c.newOrder(aapl);
    const hb = once(c, 'heartbeat');
    srv.connections[0].writeRaw(FakeServer.heartbeatFrame());
    await hb;
    await c.close();
    assert.deepEqual(seen, ['Ack', 'Heartbeat', 'Goodbye']);
  }));

test('an answer that matches no outstanding request is a protocol violation', () =>
  withServer({ batch: 1000 }, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const p = c.newOrder(aapl);
    await srv.waitFor((m) => m.type === MsgType.NewOrder);
    const closed = once(c, 'closed');
    srv.connections[0].send({ type: MsgType.Ack, clientSeq: 99, orderId: 1, sessionSeq: 1, receivedAtNs: 0n });
    await assert.rejects(p, (e: unknown) => e instanceof ConnectionLostError && e.cause instanceof ProtocolViolationError);
    const [cause] = await closed;
    assert.ok(cause instanceof ProtocolViolationError);
    assert.match(cause.message, /clientSeq 99/);
  }));

test('undecodable data from the server is a protocol violation', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const closed = once(c, 'closed');
    srv.connections[0].writeRaw(Buffer.from([0xff, 0xff, 0x4b]));
    const [cause] = await closed;
    assert.ok(cause instanceof ProtocolViolationError);
    assert.equal(cause.protocolReason, 'PROTOCOL_FRAME_TOO_LARGE');
  }));

test('invalid requests are refused locally and do not use a sequence number', () =>
  withServer({}, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    await assert.rejects(c.newOrder({ ...aapl, symbol: 'TOOLONGSYM' }), InvalidRequestError);
    await assert.rejects(c.newOrder({ ...aapl, side: 'HOLD' as 'BUY' }), InvalidRequestError);
    await assert.rejects(c.newOrder({ ...aapl, qty: 1.5 }), InvalidRequestError);
    await assert.rejects(c.cancel({ orderId: 0 }), InvalidRequestError);
    await assert.rejects(c.cancel({ clientOrderId: '' }), InvalidRequestError);
    assert.equal(c.lastClientSeq, 0);
    const r = await c.newOrder(aapl);
    assert.equal(r.clientSeq, 1);
    await c.close();
  }));

test('graceful close lets outstanding orders complete', () =>
  withServer({ batch: 1000 }, async (srv) => {
    const c = await SwitchyardClient.connect(opts(srv));
    const ps = [c.newOrder(aapl), c.newOrder(aapl), c.newOrder(aapl)];
    const closed = once(c, 'closed');
    const done = c.close();
    assert.equal(c.state, 'closing');
    await assert.rejects(c.newOrder(aapl), NotConnectedError);
    const results = await Promise.all(ps);
    assert.deepEqual(results.map((r) => r.status), ['ACK', 'ACK', 'ACK']);
    await done;
    assert.deepEqual(await closed, [null]);
    assert.equal(srv.allReceived().at(-1)?.type, MsgType.Logout);
  }));

test('connect refused', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    SwitchyardClient.connect({ host: '127.0.0.1', port, token: 't', autoTick: false }),
    ConnectionClosedError,
  );
});

test('connect timeout when the server never answers the login (injected clock)', async () => {
  const silent = net.createServer((s) => s.on('error', () => undefined));
  const gotLogin = new Promise<void>((resolve) => silent.on('connection', (s) => s.once('data', () => resolve())));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const clock = new FakeClock();
    const port = (silent.address() as net.AddressInfo).port;
    // autoTick runs tick() from the client's own timer; the timeout is judged on the fake clock,
    // so the outcome does not depend on how long anything takes.
    const connecting = SwitchyardClient.connect({ host: '127.0.0.1', port, token: 't', clock, connectTimeoutMs: 5000, heartbeatMs: 40 });
    await gotLogin;
    clock.t = 5000;
    await assert.rejects(connecting, ConnectTimeoutError);
  } finally {
    silent.close();
  }
});

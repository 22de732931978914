import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SwitchyardClient } from '@switchyard/client';
import { encodeHeartbeat, encodeLogin, encodeNewOrder, FrameDecoder, MsgType, type ServerMessage } from '@switchyard/protocol';
import { REASONS } from '../../src/contract/reasons.js';
import { OrdType, Side, TimeInForce } from '../../src/contract/order.js';
import { metrics, ORDER, post, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

const order = { symbol: 'AAPL', side: 'BUY' as const, type: 'LIMIT' as const, qty: 100, price: 15000 };

/** A raw socket speaking the protocol by hand, for malformed and out-of-order input. */
class RawPeer {
  readonly messages: ServerMessage[] = [];
  private readonly decoder = new FrameDecoder({ from: 'server' });
  private waiters: Array<() => void> = [];
  closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      const { messages } = this.decoder.feed(d);
      this.messages.push(...messages);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }
  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  send(build: (b: Buffer) => number): void {
    const b = Buffer.alloc(2048);
    this.socket.write(b.subarray(0, build(b)));
  }
  async until(pred: (m: ServerMessage[]) => boolean): Promise<ServerMessage[]> {
    while (!pred(this.messages)) await new Promise<void>((r) => this.waiters.push(r));
    return this.messages;
  }
}

describe('binary TCP order entry', () => {
  let gw: RunningGateway;
  let tok: string;
  before(async () => {
    gw = await startGateway({ FASTPATH_DRAIN_WORKERS: '2' });
    tok = await token('acct-t', { sub: 'tcp-sess' });
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('logs in, acks a new order and cancels it by order id, then by clientOrderId', async () => {
    const c = await SwitchyardClient.connect({ host: '127.0.0.1', port: gw.tcpPort, token: tok });
    try {
      assert.equal(c.session?.sessionId, 'tcp-sess');
      const a = await c.newOrder({ ...order, clientOrderId: 'tcp-1' });
      assert.equal(a.status, 'ACK');
      assert.ok(a.status === 'ACK' && a.orderId > 0 && a.sessionSeq === 1);
      const x = await c.cancel({ orderId: a.status === 'ACK' ? a.orderId : 0 });
      assert.equal(x.status, 'CANCEL_ACK');
      const again = await c.cancel({ orderId: a.status === 'ACK' ? a.orderId : 0 });
      assert.deepEqual([again.status, again.status === 'CANCEL_REJECTED' && again.reason], ['CANCEL_REJECTED', 'ORDER_FINAL']);
      const b = await c.newOrder({ ...order, clientOrderId: 'tcp-2' });
      assert.equal(b.status, 'ACK');
      const y = await c.cancel({ clientOrderId: 'tcp-2' });
      assert.equal(y.status, 'CANCEL_ACK');
      assert.equal(y.status === 'CANCEL_ACK' && y.orderId, b.status === 'ACK' && b.orderId);
      const missing = await c.cancel({ orderId: 12345 });
      assert.equal(missing.status === 'CANCEL_REJECTED' && missing.reason, 'ORDER_NOT_FOUND');
    } finally {
      await c.close();
    }
  });

  it('rejects with the same reason codes as HTTP and shares sequence numbers with /v3', async () => {
    const t = await token('acct-shared', { sub: 'shared-sess' });
    const http = await post(gw.base, '/v3/orders', t, ORDER);
    assert.equal(http.json.sessionSeq, 1);
    const c = await SwitchyardClient.connect({ host: '127.0.0.1', port: gw.tcpPort, token: t });
    try {
      const ok = await c.newOrder(order);
      assert.ok(ok.status === 'ACK' && ok.sessionSeq === 2);
      const cases: Array<[Parameters<SwitchyardClient['newOrder']>[0], string]> = [
        [{ ...order, symbol: 'NOPE' }, 'INVALID_SYMBOL'],
        [{ ...order, qty: 10_001 }, 'INVALID_QTY'],
        [{ ...order, price: 30_000 }, 'PRICE_COLLAR'],
        [{ ...order, type: 'MARKET', price: null, symbol: 'BTC', qty: 200 }, 'RISK_REJECT'],
      ];
      for (const [o, reason] of cases) {
        const r = await c.newOrder(o);
        assert.equal(r.status, 'REJECTED');
        assert.equal(r.status === 'REJECTED' && r.reason, reason);
        assert.equal(r.status === 'REJECTED' && r.reasonCode, REASONS[reason as keyof typeof REASONS]);
      }
    } finally {
      await c.close();
    }
  });

  it('answers pipelined orders in order', async () => {
    const c = await SwitchyardClient.connect({ host: '127.0.0.1', port: gw.tcpPort, token: await token('acct-pipe') });
    try {
      const answers = await Promise.all(Array.from({ length: 2000 }, (_, i) => c.newOrder(i % 10 === 9 ? { ...order, symbol: 'NOPE' } : order)));
      let seq = 0;
      answers.forEach((a, i) => {
        assert.equal(a.clientSeq, i + 1);
        if (i % 10 === 9) assert.equal(a.status, 'REJECTED');
        else {
          assert.equal(a.status, 'ACK');
          assert.equal(a.status === 'ACK' && a.sessionSeq, ++seq);
        }
      });
    } finally {
      await c.close();
    }
  });

  it('refuses a bad token with LoginRejected and closes', async () => {
    const p = await RawPeer.open(gw.tcpPort);
    p.send((b) => encodeLogin(b, 0, { version: 1, heartbeatMs: 0, token: tok.slice(0, -3) + 'xyz' }));
    const [m] = await p.until((ms) => ms.length > 0);
    assert.equal(m!.type, MsgType.LoginRejected);
    assert.equal(m!.type === MsgType.LoginRejected && m!.reasonCode, REASONS.AUTH_FAILED);
    await p.closed;
  });

  it('ends the session with Goodbye on an order before login, and on a malformed frame', async () => {
    const p = await RawPeer.open(gw.tcpPort);
    p.send((b) => encodeNewOrder(b, 0, { clientSeq: 1, symbol: 'AAPL', side: Side.Buy, ordType: OrdType.Limit, timeInForce: TimeInForce.GTC, qty: 1, price: 15000, expireAt: 0, clientOrderId: null }));
    const [m] = await p.until((ms) => ms.length > 0);
    assert.equal(m!.type === MsgType.Goodbye && m!.reasonCode, REASONS.PROTOCOL_NOT_LOGGED_IN);
    await p.closed;

    const q = await RawPeer.open(gw.tcpPort);
    q.send((b) => encodeLogin(b, 0, { version: 1, heartbeatMs: 0, token: tok }));
    await q.until((ms) => ms.length > 0);
    q.socket.write(Buffer.from([0xff, 0x7f, 0x4f])); // length 32767: larger than any frame
    const ms = await q.until((x) => x.some((y) => y.type === MsgType.Goodbye));
    const bye = ms.find((y) => y.type === MsgType.Goodbye)!;
    assert.equal(bye.type === MsgType.Goodbye && bye.reasonCode, REASONS.PROTOCOL_FRAME_TOO_LARGE);
    await q.closed;

    const r = await RawPeer.open(gw.tcpPort);
    r.send((b) => encodeLogin(b, 0, { version: 1, heartbeatMs: 0, token: tok }));
    await r.until((x) => x.length > 0);
    r.socket.write(Buffer.from([0x05, 0x00, 0x4f, 1, 2, 3, 4])); // NewOrder far too short
    const rs = await r.until((x) => x.some((y) => y.type === MsgType.Goodbye));
    const rb = rs.find((y) => y.type === MsgType.Goodbye)!;
    assert.equal(rb.type === MsgType.Goodbye && rb.reasonCode, REASONS.PROTOCOL_BAD_LENGTH);
    await r.closed;
    // the gateway is still serving
    assert.equal((await post(gw.base, '/v3/orders', tok, ORDER)).status, 202);
  });

  it('disconnects a client that goes silent (heartbeat timeout)', async () => {
    const p = await RawPeer.open(gw.tcpPort);
    p.send((b) => encodeLogin(b, 0, { version: 1, heartbeatMs: 100, token: tok }));
    const ms = await p.until((x) => x.some((y) => y.type === MsgType.Goodbye));
    assert.ok(ms.some((y) => y.type === MsgType.Heartbeat), 'the server sent heartbeats while idle');
    const bye = ms.find((y) => y.type === MsgType.Goodbye)!;
    assert.equal(bye.type === MsgType.Goodbye && bye.reasonCode, REASONS.PROTOCOL_HEARTBEAT_TIMEOUT);
    await p.closed;
    assert.ok(((await metrics(gw.base)).get('gateway_tcp_heartbeat_timeouts_total') ?? 0) >= 1);
  });

  it('keeps a client that heartbeats alive and serves many concurrent connections', async () => {
    const p = await RawPeer.open(gw.tcpPort);
    p.send((b) => encodeLogin(b, 0, { version: 1, heartbeatMs: 500, token: tok }));
    await p.until((x) => x.length > 0);
    const clients = await Promise.all(Array.from({ length: 50 }, async (_, i) => SwitchyardClient.connect({ host: '127.0.0.1', port: gw.tcpPort, token: await token(`acct-c${i}`) })));
    try {
      // while 50 sessions trade, the raw peer answers heartbeats
      const answered = Promise.all(clients.map(async (c) => {
        for (let k = 0; k < 20; k++) assert.equal((await c.newOrder(order)).status, 'ACK');
      }));
      let beats = 0;
      while (beats < 3) {
        const before = p.messages.filter((m) => m.type === MsgType.Heartbeat).length;
        await p.until((x) => x.filter((m) => m.type === MsgType.Heartbeat).length > before);
        p.send((b) => encodeHeartbeat(b, 0));
        beats++;
      }
      await answered;
      assert.ok(!p.messages.some((m) => m.type === MsgType.Goodbye), 'heartbeating peer kept');
      const m = await metrics(gw.base);
      assert.ok((m.get('gateway_tcp_connections_open') ?? 0) >= 51);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      p.socket.destroy();
    }
  });
});

/**
 * Binary TCP session rules over real sockets: frames pipelined behind a Login are held until the
 * login is decided (whether or not the token was cached), and a client that sends but never
 * reads is cut as a slow consumer, not as a silent client.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { REASONS } from '../../src/contract/reasons.js';
import { OrdType, Side, TimeInForce } from '../../src/contract/order.js';
import { encodeCancel, encodeLogin, encodeLogout, encodeNewOrder, FrameDecoder, MsgType, type ServerMessage } from '@switchyard/protocol';
import { metrics, type RunningGateway, startGateway, token } from '../helpers/gateway.js';

/** A raw protocol peer that can stop reading. */
class Peer {
  readonly messages: ServerMessage[] = [];
  private readonly decoder = new FrameDecoder({ from: 'server' });
  private waiters: Array<() => void> = [];
  isClosed = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.messages.push(...this.decoder.feed(d).messages);
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        r();
      }),
    );
  }

  static async open(port: number): Promise<Peer> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new Peer(s);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `pred` holds or the connection closed. */
  async until(pred: (m: ServerMessage[]) => boolean): Promise<ServerMessage[]> {
    while (!pred(this.messages) && !this.isClosed) await new Promise<void>((r) => this.waiters.push(r));
    return this.messages;
  }
}

const NEW_ORDER = { symbol: 'AAPL', side: Side.Buy, ordType: OrdType.Limit, timeInForce: TimeInForce.GTC, qty: 100, price: 15000, expireAt: 0, clientOrderId: null };

/** Frames built back to back into one buffer: one socket write, so (on loopback) one packet. */
function packet(...builders: Array<(b: Buffer, off: number) => number>): Buffer {
  const b = Buffer.alloc(4096);
  let off = 0;
  for (const f of builders) off += f(b, off);
  return b.subarray(0, off);
}

function kinds(ms: ServerMessage[]): string[] {
  return ms.map((m) => MsgType[m.type]);
}

describe('binary TCP session rules', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    assert.equal(await gw.stop(), 0);
  });

  it('Login and orders in one packet: the orders wait for the login, uncached token or not', async () => {
    for (let i = 0; i < 5; i++) {
      // a token never seen before: verified asynchronously
      const tok = await token(`acct-onepacket-${i}`, { sub: `onepacket-${i}` });
      for (const round of ['uncached', 'cached']) {
        const p = await Peer.open(gw.tcpPort);
        p.socket.write(
          packet(
            (b, o) => encodeLogin(b, o, { version: 1, heartbeatMs: 0, token: tok }),
            (b, o) => encodeNewOrder(b, o, { ...NEW_ORDER, clientSeq: 1 }),
            (b, o) => encodeCancel(b, o, { clientSeq: 2, orderId: 1, clientOrderId: null }),
            (b, o) => encodeNewOrder(b, o, { ...NEW_ORDER, clientSeq: 3 }),
            (b, o) => encodeLogout(b, o),
          ),
        );
        const ms = await p.until((x) => x.some((m) => m.type === MsgType.Goodbye));
        await p.closed;
        assert.deepEqual(kinds(ms), ['LoginAccepted', 'Ack', 'CancelReject', 'Ack', 'Goodbye'], `${round} token, account ${i}`);
        const [, a1, c2, a3, bye] = ms;
        assert.ok(a1!.type === MsgType.Ack && a1!.clientSeq === 1);
        assert.ok(c2!.type === MsgType.CancelReject && c2!.clientSeq === 2 && c2!.reasonCode === REASONS.ORDER_NOT_FOUND);
        assert.ok(a3!.type === MsgType.Ack && a3!.clientSeq === 3);
        assert.ok(bye!.type === MsgType.Goodbye && bye!.reasonCode === REASONS.SESSION_LOGOUT);
        // the session's sequence shows both orders ran, in order, once per round
        assert.equal(a3!.type === MsgType.Ack && a3!.sessionSeq, round === 'uncached' ? 2 : 4);
      }
    }
  });

  it('orders behind a refused Login are dropped with the connection, never executed', async () => {
    const good = await token('acct-refused', { sub: 'refused-sess' });
    const p = await Peer.open(gw.tcpPort);
    p.socket.write(
      packet(
        (b, o) => encodeLogin(b, o, { version: 1, heartbeatMs: 0, token: good.slice(0, -3) + 'xyz' }),
        (b, o) => encodeNewOrder(b, o, { ...NEW_ORDER, clientSeq: 1 }),
        (b, o) => encodeNewOrder(b, o, { ...NEW_ORDER, clientSeq: 2 }),
      ),
    );
    await p.closed;
    assert.deepEqual(kinds(p.messages), ['LoginRejected']);
    assert.ok(p.messages[0]!.type === MsgType.LoginRejected && p.messages[0]!.reasonCode === REASONS.AUTH_FAILED);
    // the same session's first order is sessionSeq 1: nothing ran behind the refused login
    const q = await Peer.open(gw.tcpPort);
    q.socket.write(packet((b, o) => encodeLogin(b, o, { version: 1, heartbeatMs: 0, token: good }), (b, o) => encodeNewOrder(b, o, { ...NEW_ORDER, clientSeq: 1 })));
    const ms = await q.until((x) => x.length >= 2);
    assert.ok(ms[1]!.type === MsgType.Ack && ms[1]!.sessionSeq === 1, JSON.stringify(kinds(ms)));
    q.socket.destroy();
  });

  it('a client that sends but never reads is cut as a slow consumer, not as silent', async () => {
    const tok = await token('acct-slow', { sub: 'slow-sess' });
    const before = await metrics(gw.base);
    const p = await Peer.open(gw.tcpPort);
    // A 1 s heartbeat: with 100 ms, a loaded machine let the silence timer fire first (the
    // flooding client's bytes wait in socket buffers the server no longer reads).
    p.socket.write(packet((b, o) => encodeLogin(b, o, { version: 1, heartbeatMs: 1000, token: tok })));
    await p.until((x) => x.length > 0);
    assert.equal(p.messages[0]!.type, MsgType.LoginAccepted);
    p.socket.pause(); // from now on, read nothing

    // Flood cancels of an unknown order (each answered with a 13-byte CancelReject, no state
    // change) until the server has decided what to do with us.
    let decided = false;
    const decision = (async () => {
      for (;;) {
        const m = await metrics(gw.base);
        const slow = m.get('gateway_tcp_slow_consumers_total')! - before.get('gateway_tcp_slow_consumers_total')!;
        const silent = m.get('gateway_tcp_heartbeat_timeouts_total')! - before.get('gateway_tcp_heartbeat_timeouts_total')!;
        if (slow + silent > 0) {
          decided = true;
          return { slow, silent };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const batch = Buffer.alloc(20 * 10_000);
    let seq = 1;
    // Once the server cuts us, a write in flight fails with EPIPE/ECONNRESET: that is the
    // expected end of the flood (on a loaded machine it can come before the metrics poll sees the
    // cut), not a test failure.
    p.socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') throw e;
    });
    const writable = () => new Promise<void>((r) => {
      p.socket.once('drain', r);
      p.socket.once('close', r);
    });
    while (!decided && !p.socket.destroyed) {
      let off = 0;
      for (let k = 0; k < 10_000; k++) off += encodeCancel(batch, off, { clientSeq: seq++, orderId: 1, clientOrderId: null });
      if (!p.socket.write(Buffer.from(batch.subarray(0, off)))) await Promise.race([writable(), decision]);
    }
    const { slow, silent } = await decision;
    assert.deepEqual({ slow, silent }, { slow: 1, silent: 0 }, 'cut for not reading, not for silence');

    // Read on: every answer the server had, then its Goodbye (it waits behind them) and the close.
    p.socket.resume();
    await p.closed;
    const last = p.messages[p.messages.length - 1]!;
    if (last.type === MsgType.Goodbye) assert.equal(last.reasonCode, REASONS.SESSION_SLOW_CONSUMER);
    else assert.equal(last.type, MsgType.CancelReject, 'without the Goodbye, the connection just closed after answers');
    assert.ok(!p.messages.some((m) => m.type === MsgType.Goodbye && m.reasonCode !== REASONS.SESSION_SLOW_CONSUMER));
    // answers are in request order with nothing missing in between
    const rejects = p.messages.filter((m) => m.type === MsgType.CancelReject);
    rejects.forEach((m, i) => assert.equal(m.type === MsgType.CancelReject && m.clientSeq, i + 1));
  });
});

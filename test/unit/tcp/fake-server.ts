/**
 * A minimal in-test server for the binary protocol, built on the same codec and session rules
 * as the real one (protocol.ts, session.ts), so client tests exercise real framing over real
 * sockets. It has no timers: heartbeats and timeouts are only what a test triggers explicitly.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  FrameDecoder,
  MsgType,
  PROTOCOL_REASON_CODES,
  ProtocolError,
  encodeAck,
  encodeCancelAck,
  encodeCancelReject,
  encodeGoodbye,
  encodeHeartbeat,
  encodeLoginAccepted,
  encodeLoginRejected,
  encodeReject,
  encodeToBuffer,
  type CancelMsg,
  type ClientMessage,
  type NewOrderMsg,
  type ServerMessage,
} from '@switchyard/protocol';
import { ServerSessionGuard } from '@switchyard/protocol';
import { REASONS } from '../../../src/contract/reasons.js';

export type OrderAnswer = { ack: true } | { reject: number };
export type CancelAnswer = { ack: number } | { reject: number };

export interface FakeServerOptions {
  /** Decide a login: null accepts, otherwise the LoginRejected reason code and text. */
  login?: (token: string) => { reasonCode: number; text: string } | null;
  /** Answer for a NewOrder (default: ack, except symbol "REJ" → INVALID_SYMBOL). */
  order?: (m: NewOrderMsg) => OrderAnswer;
  /** Answer for a Cancel (default: ack for orderId, ORDER_NOT_FOUND for a clientOrderId "nope"). */
  cancel?: (m: CancelMsg) => CancelAnswer;
  /** Hold answers until this many are ready, then write them all at once (default 1). */
  batch?: number;
}

export interface FakeConnection {
  socket: net.Socket;
  guard: ServerSessionGuard;
  received: ClientMessage[];
  /** Writes raw bytes (for malformed-input tests). */
  writeRaw(bytes: Buffer): void;
  /** Encodes and writes a server message. */
  send(msg: ServerMessage): void;
  /** Writes any held answers now. */
  flush(): void;
}

export class FakeServer extends EventEmitter<{
  connection: [FakeConnection];
  message: [ClientMessage, FakeConnection];
}> {
  readonly connections: FakeConnection[] = [];
  private nextOrderId = 1;
  private nextSession = 1;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: FakeServerOptions,
  ) {
    super();
  }

  static async start(opts: FakeServerOptions = {}): Promise<FakeServer> {
    const server = net.createServer();
    const fake = new FakeServer(server, opts);
    server.on('connection', (s) => fake.onConnection(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('not listening');
    return a.port;
  }

  /** Every message received on every connection, in order of arrival. */
  allReceived(): ClientMessage[] {
    return this.connections.flatMap((c) => c.received);
  }

  /** Resolves on the next message matching `pred` (any connection). */
  waitFor(pred: (m: ClientMessage) => boolean): Promise<ClientMessage> {
    return new Promise((resolve) => {
      const on = (m: ClientMessage): void => {
        if (pred(m)) {
          this.off('message', on);
          resolve(m);
        }
      };
      this.on('message', on);
    });
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder({ from: 'client' });
    const guard = new ServerSessionGuard(0);
    const held: Buffer[] = [];
    const batch = this.opts.batch ?? 1;
    const conn: FakeConnection = {
      socket,
      guard,
      received: [],
      writeRaw: (b) => socket.write(b),
      send: (m) => socket.write(encodeToBuffer(m)),
      flush: () => {
        if (held.length > 0) socket.write(Buffer.concat(held.splice(0)));
      },
    };
    const answer = (frame: Buffer): void => {
      held.push(frame);
      if (held.length >= batch) conn.flush();
    };
    let ended = false;
    const goodbye = (code: number, text: string): void => {
      ended = true;
      conn.flush();
      const buf = Buffer.allocUnsafe(512);
      socket.end(buf.subarray(0, encodeGoodbye(buf, 0, { reasonCode: code, text })));
      guard.close();
    };
    this.connections.push(conn);
    this.emit('connection', conn);

    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      decoder.push(chunk);
      for (let m = decoder.next(); m !== null; m = decoder.next()) {
        if (m instanceof ProtocolError) return goodbye(m.code, m.message);
        conn.received.push(m);
        this.emit('message', m, conn);
        const violation = guard.check(m, 0);
        if (violation !== null) return goodbye(violation.code, violation.message);
        const out = Buffer.allocUnsafe(512);
        switch (m.type) {
          case MsgType.Login: {
            const problem = guard.loginProblem(m);
            const verdict = problem !== null ? { reasonCode: problem.code, text: problem.message } : (this.opts.login?.(m.token) ?? null);
            if (verdict !== null) {
              ended = true;
              socket.end(out.subarray(0, encodeLoginRejected(out, 0, verdict)));
              guard.close();
              return;
            }
            const granted = guard.accept(m);
            const sessionId = `S${this.nextSession++}`;
            socket.write(out.subarray(0, encodeLoginAccepted(out, 0, { sessionId, ...granted })));
            break;
          }
          case MsgType.NewOrder: {
            const a = this.opts.order?.(m) ?? (m.symbol === 'REJ' ? { reject: REASONS.INVALID_SYMBOL } : { ack: true as const });
            if ('ack' in a) {
              const id = this.nextOrderId++;
              answer(out.subarray(0, encodeAck(out, 0, { clientSeq: m.clientSeq, orderId: id, sessionSeq: id, receivedAtNs: 1_700_000_000_000_000_000n + BigInt(id) })));
            } else {
              answer(out.subarray(0, encodeReject(out, 0, { clientSeq: m.clientSeq, reasonCode: a.reject })));
            }
            break;
          }
          case MsgType.Cancel: {
            const a = this.opts.cancel?.(m) ?? (m.clientOrderId === 'nope' ? { reject: REASONS.ORDER_NOT_FOUND } : typeof m.orderId === 'bigint' ? { reject: REASONS.ORDER_NOT_FOUND } : { ack: m.orderId ?? 999 });
            if ('ack' in a) answer(out.subarray(0, encodeCancelAck(out, 0, { clientSeq: m.clientSeq, orderId: a.ack })));
            else answer(out.subarray(0, encodeCancelReject(out, 0, { clientSeq: m.clientSeq, reasonCode: a.reject })));
            break;
          }
          case MsgType.Heartbeat:
            break;
          case MsgType.Logout:
            return goodbye(PROTOCOL_REASON_CODES.SESSION_LOGOUT, 'bye');
        }
      }
    });
  }

  /** A frame-sized heartbeat, for tests that want the server to show signs of life. */
  static heartbeatFrame(): Buffer {
    const b = Buffer.allocUnsafe(3);
    encodeHeartbeat(b, 0);
    return b;
  }
}

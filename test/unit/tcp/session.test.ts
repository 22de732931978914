import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrdType, Side, TimeInForce } from '../../../src/contract/order.js';
import { MsgType, ProtocolError, type LoginMsg, type NewOrderMsg } from '@switchyard/protocol';
import { DEFAULT_SESSION_RULES, ServerSessionGuard, negotiateHeartbeat } from '@switchyard/protocol';

const login: LoginMsg = { type: MsgType.Login, version: 1, heartbeatMs: 500, token: 't' };
const order = (clientSeq: number): NewOrderMsg => ({
  type: MsgType.NewOrder,
  clientSeq,
  symbol: 'AAPL',
  side: Side.Buy,
  ordType: OrdType.Limit,
  timeInForce: TimeInForce.GTC,
  qty: 1,
  price: 1,
  expireAt: 0,
  clientOrderId: null,
});

function reasonOf(r: ProtocolError | null | string): string | null {
  return r instanceof ProtocolError ? r.reason : r === null ? null : r;
}

test('a message before Login is a violation', () => {
  const g = new ServerSessionGuard(0);
  assert.equal(reasonOf(g.check(order(1), 0)), 'PROTOCOL_NOT_LOGGED_IN');
  assert.equal(reasonOf(new ServerSessionGuard(0).check({ type: MsgType.Heartbeat }, 0)), 'PROTOCOL_NOT_LOGGED_IN');
});

test('frames after a Login are held while it is verified; a second Login is a violation', () => {
  const g = new ServerSessionGuard(0);
  assert.equal(g.holdsInput, false);
  assert.equal(g.check(login, 0), null);
  assert.equal(g.state, 'authenticating');
  assert.equal(g.holdsInput, true, 'the server decodes nothing more until the login is decided');
  // a server that does not hold them gets a violation, never a silently accepted order
  assert.equal(reasonOf(g.check(order(1), 0)), 'PROTOCOL_NOT_LOGGED_IN');
  const accepted = new ServerSessionGuard(0);
  accepted.check(login, 0);
  accepted.accept(login);
  assert.equal(accepted.holdsInput, false, 'accepted: the held frames are processed, in order');
  assert.equal(accepted.check(order(1), 0), null);
  const refused = new ServerSessionGuard(0);
  refused.check(login, 0);
  refused.close();
  assert.equal(refused.holdsInput, false);
  assert.ok(refused.check(order(1), 0) instanceof ProtocolError, 'refused: the held frames are dropped with the session');
  const h = new ServerSessionGuard(0);
  h.check(login, 0);
  assert.deepEqual(h.accept(login), { heartbeatMs: 500, nextClientSeq: 1 });
  assert.equal(h.state, 'active');
  assert.equal(reasonOf(h.check(login, 0)), 'PROTOCOL_ALREADY_LOGGED_IN');
});

test('client sequence numbers must strictly increase (gaps allowed)', () => {
  const g = new ServerSessionGuard(0);
  g.check(login, 0);
  g.accept(login);
  assert.equal(reasonOf(g.check(order(0), 0)), 'PROTOCOL_SEQ_NOT_INCREASING');
  assert.equal(g.check(order(1), 0), null);
  assert.equal(g.check(order(5), 0), null);
  assert.equal(g.check({ type: MsgType.Cancel, clientSeq: 6, orderId: 1, clientOrderId: null }, 0), null);
  assert.equal(reasonOf(g.check(order(6), 0)), 'PROTOCOL_SEQ_NOT_INCREASING');
  assert.equal(reasonOf(g.check(order(3), 0)), 'PROTOCOL_SEQ_NOT_INCREASING');
  assert.equal(g.lastClientSeq, 6);
});

test('a resumed sequence starts at nextClientSeq', () => {
  const g = new ServerSessionGuard(0);
  g.check(login, 0);
  g.accept(login, 100);
  assert.equal(reasonOf(g.check(order(99), 0)), 'PROTOCOL_SEQ_NOT_INCREASING');
  assert.equal(g.check(order(100), 0), null);
});

test('unsupported protocol version', () => {
  const g = new ServerSessionGuard(0);
  assert.equal(reasonOf(g.loginProblem({ ...login, version: 3 })), 'PROTOCOL_UNSUPPORTED_VERSION');
  assert.equal(reasonOf(g.loginProblem({ ...login, version: 0 })), 'PROTOCOL_UNSUPPORTED_VERSION');
  assert.equal(g.loginProblem({ ...login, version: 1 }), null, 'version 1 sessions are still served (without execution reports)');
  assert.equal(g.loginProblem({ ...login, version: 2 }), null);
});

test('heartbeat negotiation clamps to the rules', () => {
  assert.equal(negotiateHeartbeat(0), DEFAULT_SESSION_RULES.defaultHeartbeatMs);
  assert.equal(negotiateHeartbeat(1), DEFAULT_SESSION_RULES.minHeartbeatMs);
  assert.equal(negotiateHeartbeat(10_000_000), DEFAULT_SESSION_RULES.maxHeartbeatMs);
  assert.equal(negotiateHeartbeat(750), 750);
});

test('tick: heartbeat when idle, timeout when the client is silent', () => {
  const g = new ServerSessionGuard(0);
  g.check(login, 0);
  g.accept(login); // 500 ms
  assert.equal(g.tick(499), 'none');
  assert.equal(g.tick(500), 'send-heartbeat');
  g.sent(500);
  g.check({ type: MsgType.Heartbeat }, 900);
  assert.equal(g.tick(999), 'none');
  assert.equal(g.tick(1000), 'send-heartbeat');
  g.sent(1000);
  g.sent(2000);
  assert.equal(g.tick(2399), 'none'); // 1499 ms since the last receive: still alive
  assert.equal(reasonOf(g.tick(2400)), 'PROTOCOL_HEARTBEAT_TIMEOUT');
});

test('tick: login timeout', () => {
  const g = new ServerSessionGuard(1000);
  assert.equal(g.tick(1000 + DEFAULT_SESSION_RULES.loginTimeoutMs - 1), 'none');
  assert.equal(reasonOf(g.tick(1000 + DEFAULT_SESSION_RULES.loginTimeoutMs)), 'PROTOCOL_LOGIN_TIMEOUT');
  const h = new ServerSessionGuard(0);
  h.check(login, 10);
  assert.equal(reasonOf(h.tick(DEFAULT_SESSION_RULES.loginTimeoutMs)), 'PROTOCOL_LOGIN_TIMEOUT');
});

test('closed session', () => {
  const g = new ServerSessionGuard(0);
  g.close();
  assert.equal(g.state, 'closed');
  assert.equal(g.tick(1e9), 'none');
  assert.ok(g.check(login, 0) instanceof ProtocolError);
});

test('a client that does not read its answers is a slow consumer, not a silent client', () => {
  // same times, with and without a blocked writer
  const silent = new ServerSessionGuard(0);
  silent.check(login, 0);
  silent.accept(login); // 500 ms: dead after 1500 ms without a byte
  assert.equal(reasonOf(silent.tick(1500)), 'PROTOCOL_HEARTBEAT_TIMEOUT');

  const g = new ServerSessionGuard(0);
  g.check(login, 0);
  g.accept(login);
  g.check(order(1), 100);
  g.writeBlocked(200); // the socket takes no more writes: the server stops reading the client
  g.writeBlocked(600); // repeated: the first time counts
  assert.equal(g.tick(1600), 'none', 'not reading the client is not the client being silent; no heartbeat behind unread answers');
  assert.equal(g.tick(1699), 'none');
  const cut = g.tick(1700);
  assert.equal(reasonOf(cut), 'SESSION_SLOW_CONSUMER', '1500 ms of unread answers');
  assert.match((cut as ProtocolError).message, /answers unread for 1500 ms/);
});

test('after the client drains its answers, the receive clock restarts', () => {
  const g = new ServerSessionGuard(0);
  g.check(login, 0);
  g.accept(login);
  g.writeBlocked(100);
  g.writeDrained(1000); // read again from here; nothing could be received before
  assert.equal(g.tick(1000), 'send-heartbeat');
  g.sent(1000);
  assert.equal(g.tick(2499), 'send-heartbeat', 'alive: 1499 ms since the drain');
  assert.equal(reasonOf(g.tick(2500)), 'PROTOCOL_HEARTBEAT_TIMEOUT', 'silent for 1500 ms after the drain');
});

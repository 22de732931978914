/**
 * A FIX 4.4 session of the venue link, either side: jspurefix's AsciiSession (Logon, Heartbeat,
 * TestRequest, sequence checks, ResendRequest on a gap, the file store of sequence numbers) plus
 * the three things this link needs and the engine does not do for it:
 *
 *  1. Resend from a log that outlives the connection. jspurefix answers a ResendRequest from a
 *     store that a new session object starts empty, i.e. with a gap fill for everything, which
 *     would drop every execution report lost with a connection. Here the owner keeps a
 *     {@link SentLog} per counterparty (the application messages sent, by MsgSeqNum) and the
 *     session resends them with PossDupFlag=Y and OrigSendingTime, gap-filling (SequenceReset
 *     GapFillFlag=Y) the admin messages and anything no longer kept.
 *  2. In-order delivery. jspurefix hands a message to the application as soon as it arrives, so
 *     after a reconnect the new messages would overtake the resent ones. Here application
 *     messages are delivered in MsgSeqNum order: one beyond a gap waits until the gap is filled
 *     (by the resent messages or a gap fill); a resent duplicate of one already delivered is
 *     delivered again marked possDup (the consumer dedups on execId). At most
 *     {@link MAX_HELD} wait; beyond that, or when the session stops, the held ones are released
 *     in order.
 *  3. Session events for the owner: ready (logged on) and stopped.
 *
 * Owning thread: whichever runs the engine (the FIX worker for the initiator, the acceptor's
 * process). Application messages are decoded into the owner's own objects (`decode`) before they
 * are held, since a jspurefix MsgView is valid only inside its callback.
 */
import { jspurefix as J } from './engine.js';
import type { IJsFixConfig, MsgView } from 'jspurefix';

export const MAX_HELD = 65_536;

/** Application messages sent under each MsgSeqNum, kept for resends (bounded). */
export class SentLog {
  private readonly bySeq = new Map<number, { msgType: string; body: Record<string, unknown>; sentAt: Date }>();
  private lowest = Infinity;

  constructor(readonly capacity: number = 262_144) {}

  put(seq: number, msgType: string, body: Record<string, unknown>, sentAt: Date): void {
    this.bySeq.set(seq, { msgType, body, sentAt });
    if (seq < this.lowest) this.lowest = seq;
    while (this.bySeq.size > this.capacity) {
      this.bySeq.delete(this.lowest);
      this.lowest++;
    }
  }

  get(seq: number): { msgType: string; body: Record<string, unknown>; sentAt: Date } | undefined {
    return this.bySeq.get(seq);
  }
}

export interface LinkHooks<T> {
  readonly log: SentLog;
  /** Decodes an application message, or null to ignore it (unsupported type). */
  decode(msgType: string, view: MsgView, possDup: boolean): T | null;
  /** Delivers a decoded application message, in MsgSeqNum order. */
  deliver(item: T, session: LinkSession<T>): void;
  ready(session: LinkSession<T>): void;
  stopped(session: LinkSession<T>, error: Error | undefined): void;
  /** An application message went out under `seq` (for tests and metrics). */
  sent?(msgType: string, seq: number): void;
}

const APP_TYPES = new Set(['D', 'F', 'H', '8', '9']);

export class LinkSession<T> extends J.AsciiSession {
  private delivered = 0;
  private readonly seen = new Set<number>();
  private readonly held = new Map<number, T>();
  private stoppedOnce = false;

  constructor(
    config: IJsFixConfig,
    private readonly hooks: LinkHooks<T>,
  ) {
    super(config);
    this.logReceivedMsgs = false;
  }

  /** Sends an application message, recording it for resends. */
  sendApp(msgType: string, body: Record<string, unknown>): void {
    this.send(msgType, body, (err, res) => {
      const seq = res.header?.MsgSeqNum as number | undefined;
      if (err || seq === undefined) return;
      this.hooks.log.put(seq, msgType, body, (res.header?.SendingTime as Date | undefined) ?? new Date());
      this.hooks.sent?.(msgType, seq);
    });
  }

  /** The socket of the current connection (the acceptor's test hooks cork and drop it). */
  socket(): import('node:net').Socket | null {
    const duplex = this.transport?.duplex as { socket?: import('node:net').Socket } | undefined;
    return duplex?.socket ?? null;
  }

  /** Logs out (Logout, then the transport ends). */
  logout(): void {
    this.done();
  }

  protected override rxOnMsg(msgType: string, view: MsgView): void {
    const seq = view.getTyped(J.MsgTag.MsgSeqNum) as number;
    if (msgType === J.MsgType.Logon) {
      this.releaseAll();
      this.delivered = this.sessionState.lastPeerMsgSeqNum;
    }
    if (msgType === J.MsgType.SequenceReset) {
      const newSeq = view.getTyped(J.MsgTag.NewSeqNo) as number;
      if (view.getTyped(J.MsgTag.GapFillFlag) === true) {
        for (let s = seq; s < newSeq; s++) if (s > this.delivered) this.seen.add(s);
      } else {
        this.releaseBelow(newSeq);
      }
    } else if (!APP_TYPES.has(msgType) && seq > this.delivered) {
      this.seen.add(seq);
    }
    super.rxOnMsg(msgType, view);
    this.advance();
  }

  protected override onApplicationMsg(msgType: string, view: MsgView): void {
    const seq = view.getTyped(J.MsgTag.MsgSeqNum) as number;
    const possDup = view.getTyped(J.MsgTag.PossDupFlag) === true;
    const item = this.hooks.decode(msgType, view, possDup);
    if (seq <= this.delivered) {
      if (item !== null) this.hooks.deliver(item, this);
      return;
    }
    if (item === null) this.seen.add(seq);
    else this.held.set(seq, item);
    this.advance();
    if (this.held.size > MAX_HELD) this.releaseAll();
  }

  protected override onResendRequest(view: MsgView): void {
    const [begin, endReq] = view.getTypedTags([J.MsgTag.BeginSeqNo, J.MsgTag.EndSeqNo]) as number[];
    const last = this.lastSentSeqNum();
    const end = endReq === 0 || endReq! > last ? last : endReq!;
    let gapFrom = begin!;
    for (let s = begin!; s <= end; s++) {
      const m = this.hooks.log.get(s);
      if (!m) continue;
      if (gapFrom < s) this.gapFill(gapFrom, s);
      this.send(m.msgType, { ...m.body, StandardHeader: { PossDupFlag: true, MsgSeqNum: s, SendingTime: m.sentAt } });
      gapFrom = s + 1;
    }
    if (gapFrom <= end) this.gapFill(gapFrom, end + 1);
  }

  protected override onReady(_view: MsgView): void {
    this.hooks.ready(this);
  }

  protected override onStopped(error?: Error): void {
    if (this.stoppedOnce) return;
    this.stoppedOnce = true;
    this.releaseAll();
    this.hooks.stopped(this, error);
  }

  protected override onLogon(_view: MsgView, _user: string, _password: string): boolean {
    return true;
  }

  protected override onDecoded(_msgType: string, _txt: string): void {}

  protected override onEncoded(_msgType: string, _txt: string): void {}

  private gapFill(from: number, next: number): void {
    this.send(J.MsgType.SequenceReset, { GapFillFlag: true, NewSeqNo: next, StandardHeader: { PossDupFlag: true, MsgSeqNum: from } });
  }

  private advance(): void {
    for (;;) {
      const s = this.delivered + 1;
      const item = this.held.get(s);
      if (item !== undefined) {
        this.held.delete(s);
        this.delivered = s;
        this.hooks.deliver(item, this);
      } else if (this.seen.delete(s)) {
        this.delivered = s;
      } else {
        return;
      }
    }
  }

  private releaseBelow(seq: number): void {
    for (const s of [...this.held.keys()].sort((a, b) => a - b)) {
      if (s >= seq) break;
      const item = this.held.get(s)!;
      this.held.delete(s);
      this.hooks.deliver(item, this);
    }
    for (const s of this.seen) if (s < seq) this.seen.delete(s);
    if (seq - 1 > this.delivered) this.delivered = seq - 1;
    this.advance();
  }

  private releaseAll(): void {
    const keys = [...this.held.keys()].sort((a, b) => a - b);
    for (const s of keys) {
      const item = this.held.get(s)!;
      this.held.delete(s);
      this.hooks.deliver(item, this);
      if (s > this.delivered) this.delivered = s;
    }
    this.seen.clear();
  }
}

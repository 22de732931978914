/**
 * Replay buffers of the SSE streams: the last `SSE_BUFFER_SIZE` events of each account, and of
 * all accounts together (the admin's all-accounts stream), so a client that reconnects with
 * `Last-Event-ID` gets what it missed. Pure: no sockets, no clock.
 *
 * Memory layout: one {@link EventRing} per account — a fixed array of `capacity` slots used as a
 * circular buffer (`start` = oldest, `count` filled) holding {@link BufferedEvent}s (id, order id
 * and the prebuilt frame, about 0.5 KB) — in a Map whose iteration order is the accounts' recency
 * (an account is moved to the end when it publishes after another one). At most `maxAccounts`
 * rings exist: a new account drops the least recently active one, whose clients then get
 * `resync_required` on reconnect. Bound: capacity x (maxAccounts + 1) events.
 *
 * Event ids are opaque strings (`<gatewayId>.<stream>.<seq>`), with no order across journals, so
 * a Last-Event-ID is found by scanning the account's ring from the newest event back (at most
 * `capacity` comparisons per reconnect; nothing is indexed per event). An id the ring does not
 * hold — older than its oldest event, from before a restart, or never issued — cannot be told
 * apart from a gap: the answer is `resync` (the original answered resync_required only for ids
 * older than its buffer; its ids were one global counter).
 *
 * Owner: the main event loop (the hub's delivery and the HTTP routes).
 */
import type { StreamScope } from './frames.js';

export interface BufferedEvent {
  readonly id: string;
  readonly orderId: string | null;
  /** the full SSE frame (frames.ts eventFrame) */
  readonly frame: string;
}

export class EventRing {
  private readonly slots: Array<BufferedEvent | undefined>;
  private start = 0;
  private n = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`ring capacity must be >= 1, got ${capacity}`);
    this.slots = new Array<BufferedEvent | undefined>(capacity);
  }

  get size(): number {
    return this.n;
  }

  push(e: BufferedEvent): void {
    if (this.n < this.capacity) {
      this.slots[(this.start + this.n) % this.capacity] = e;
      this.n++;
    } else {
      this.slots[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th event, 0 = oldest. */
  at(i: number): BufferedEvent {
    if (i < 0 || i >= this.n) throw new RangeError(`ring index ${i} outside 0..${this.n - 1}`);
    return this.slots[(this.start + i) % this.capacity]!;
  }

  oldest(): BufferedEvent | undefined {
    return this.n === 0 ? undefined : this.at(0);
  }

  /** The position of the event with this id (0 = oldest), scanning from the newest; -1 if absent. */
  indexOf(id: string): number {
    for (let i = this.n - 1; i >= 0; i--) if (this.at(i).id === id) return i;
    return -1;
  }

  /** The events after position `i`, oldest first; only the order's when `orderId` is given. */
  after(i: number, orderId?: string): BufferedEvent[] {
    const out: BufferedEvent[] = [];
    for (let j = i + 1; j < this.n; j++) {
      const e = this.at(j);
      if (orderId === undefined || e.orderId === orderId) out.push(e);
    }
    return out;
  }
}

/** What a new stream gets before its live events. */
export type ReplayPlan =
  /** no Last-Event-ID: live events only */
  | { readonly kind: 'live' }
  /** the buffered events after the client's Last-Event-ID (possibly none) */
  | { readonly kind: 'replay'; readonly events: readonly BufferedEvent[] }
  /** the id is not in the buffer: `resync_required`, then live events */
  | { readonly kind: 'resync'; readonly oldestAvailableId: string | null };

const LIVE: ReplayPlan = { kind: 'live' };

export class ReplayBuffers {
  private readonly accounts = new Map<string, EventRing>();
  private readonly everyone: EventRing;
  /** the account of the last push (already last in the recency order) */
  private lastAccount: string | undefined;
  /** account rings dropped to stay within maxAccounts */
  evictions = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxAccounts: number,
  ) {
    if (!(maxAccounts >= 1)) throw new RangeError(`maxAccounts must be >= 1, got ${maxAccounts}`);
    this.everyone = new EventRing(capacity);
  }

  /** Accounts with a ring. */
  get accountCount(): number {
    return this.accounts.size;
  }

  /** Events buffered, all rings together. */
  get bufferedEvents(): number {
    let n = this.everyone.size;
    for (const r of this.accounts.values()) n += r.size;
    return n;
  }

  push(accountId: string, e: BufferedEvent): void {
    let ring = this.accounts.get(accountId);
    if (ring === undefined) {
      if (this.accounts.size >= this.maxAccounts) {
        const oldest = this.accounts.keys().next().value as string;
        this.accounts.delete(oldest);
        this.evictions++;
      }
      ring = new EventRing(this.capacity);
      this.accounts.set(accountId, ring);
    } else if (accountId !== this.lastAccount) {
      // most recently active last
      this.accounts.delete(accountId);
      this.accounts.set(accountId, ring);
    }
    this.lastAccount = accountId;
    ring.push(e);
    this.everyone.push(e);
  }

  /** What a stream of `scope` that sent `lastEventId` gets first (see {@link ReplayPlan}). */
  plan(scope: StreamScope, lastEventId: string | undefined): ReplayPlan {
    if (lastEventId === undefined) return LIVE;
    const ring = scope.kind === 'all' ? this.everyone : this.accounts.get(scope.accountId);
    if (ring === undefined) return { kind: 'resync', oldestAvailableId: null };
    const i = ring.indexOf(lastEventId);
    if (i < 0) return { kind: 'resync', oldestAvailableId: ring.oldest()?.id ?? null };
    return { kind: 'replay', events: ring.after(i, scope.kind === 'order' ? scope.orderId : undefined) };
  }
}

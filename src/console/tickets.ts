/**
 * One-time tickets for the console stream. EventSource cannot send an Authorization header, and a
 * bearer token in a URL ends up in logs and history; so the console POSTs its token to
 * /console/api/session and gets a random ticket that opens one stream, once, within the ticket's
 * lifetime. A leaked ticket is worthless after use or expiry. Pure: clock and randomness injected.
 */
export interface TicketHolder {
  accountId: string;
  isAdmin: boolean;
  /** the token's expiry (epoch ms): the stream ends then */
  expMs: number;
}

/** At most this many tickets wait unused; older ones are dropped first. */
const MAX_OUTSTANDING = 1024;

export class Tickets {
  private readonly open = new Map<string, { holder: TicketHolder; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly nowMs: () => number,
    private readonly randomId: () => string,
  ) {}

  issue(holder: TicketHolder): string {
    this.prune();
    if (this.open.size >= MAX_OUTSTANDING) this.open.delete(this.open.keys().next().value!);
    const id = this.randomId();
    this.open.set(id, { holder, expiresAt: Math.min(this.nowMs() + this.ttlMs, holder.expMs) });
    return id;
  }

  /** The holder of a valid ticket (the ticket is spent), or null. */
  redeem(id: string): TicketHolder | null {
    const t = this.open.get(id);
    if (t === undefined) return null;
    this.open.delete(id);
    return t.expiresAt > this.nowMs() ? t.holder : null;
  }

  get outstanding(): number {
    return this.open.size;
  }

  private prune(): void {
    const now = this.nowMs();
    for (const [id, t] of this.open) if (t.expiresAt <= now) this.open.delete(id);
  }
}

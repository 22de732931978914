/**
 * Bounded in-memory idempotency window for the volatile fast path: remembers the answer given to
 * the last `capacity` accepted (account, Idempotency-Key) pairs, oldest evicted first.
 * A replay with the same body gets the original answer; with a different body, a conflict.
 */
export interface RememberedAnswer {
  /** the request body the key was first used with */
  body: string;
  /** the response body sent then */
  response: string;
}

export class IdempotencyWindow {
  private readonly map = new Map<string, RememberedAnswer>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  static key(accountId: string, idempotencyKey: string): string {
    return accountId + '\n' + idempotencyKey;
  }

  get(key: string): RememberedAnswer | undefined {
    return this.map.get(key);
  }

  remember(key: string, body: string, response: string): void {
    if (this.capacity === 0 || this.map.has(key)) return;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.map.delete(evicted);
    this.ring[this.next] = key;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.map.set(key, { body, response });
  }

  get size(): number {
    return this.map.size;
  }
}

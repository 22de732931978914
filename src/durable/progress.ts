/**
 * How far the durable journal is on disk, for the stages that act only on durable records (the
 * execution stage sends an order to its venue only once its record is durable). The durable
 * service advances it after every batch; subscribers are added when they are constructed.
 * Event-loop thread only.
 */
export interface DurableListener {
  /** every record up to `seq` is durable */
  durableUpTo(seq: number): void;
}

export class JournalProgress {
  private readonly listeners: DurableListener[] = [];
  /** last durable seq announced */
  seq = 0;

  subscribe(l: DurableListener): void {
    this.listeners.push(l);
  }

  advance(seq: number): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    for (const l of this.listeners) l.durableUpTo(seq);
  }
}

/**
 * Discrete-event simulation of time for the load generator tests: one object is both the
 * loop's clock and its timer. `run()` fires scheduled callbacks in time order, jumping the
 * clock to each; nothing waits on the wall clock.
 */
import type { LoopClock, LoopTimer } from '../../../src/loadgen/runner.js';

interface Ev {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class SimTime implements LoopClock, LoopTimer {
  t = 0;
  private seq = 0;
  /** binary min-heap ordered by (at, seq) */
  private heap: Ev[] = [];

  nowNs(): number {
    return this.t;
  }

  schedule(delayNs: number, fn: () => void): () => void {
    const ev: Ev = { at: this.t + Math.max(0, delayNs), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return () => {
      ev.cancelled = true;
    };
  }

  /** Fires events until none is left (or `limit` events fired, to catch runaway loops). */
  run(limit = 10_000_000): void {
    for (let n = 0; n < limit; n++) {
      const ev = this.pop();
      if (ev === undefined) return;
      if (ev.cancelled) continue;
      if (ev.at > this.t) this.t = ev.at;
      ev.fn();
    }
    throw new Error('simulation did not settle');
  }

  private less(a: Ev, b: Ev): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: Ev): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Ev | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as Ev;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

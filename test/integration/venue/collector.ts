import type { VenueCancelReject, VenueEvents, VenueReport, VenueSessionState } from '../../../src/venue/venue.js';

/** Records a venue's events and lets a test wait for one (never for a duration). */
export class Collector implements VenueEvents {
  readonly reports: VenueReport[] = [];
  readonly rejects: VenueCancelReject[] = [];
  readonly sessions: { state: VenueSessionState; detail: string | null }[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  report(r: VenueReport): void {
    this.reports.push(r);
    this.poke();
  }

  cancelReject(r: VenueCancelReject): void {
    this.rejects.push(r);
    this.poke();
  }

  session(_venue: string, state: VenueSessionState, detail: string | null): void {
    this.sessions.push({ state, detail });
    this.poke();
  }

  of(clOrdId: string): VenueReport[] {
    return this.reports.filter((r) => r.clOrdId === clOrdId);
  }

  /** Resolves once `check` holds (checked now and after every event). */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  untilReport(pred: (r: VenueReport) => boolean): Promise<VenueReport> {
    return this.until(() => this.reports.some(pred)).then(() => this.reports.find(pred)!);
  }

  private poke(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.check()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

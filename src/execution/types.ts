/**
 * What the execution stage depends on and what it reports: the narrow interfaces it consumes
 * (journal, ring progress, listeners), its dependencies and its counters.
 */
import type { Logger } from 'pino';
import type { ExecType } from '../contract/bus-event.js';
import type { JournalProgress } from '../durable/progress.js';
import type { EventType, Order, OrderStatus } from '../orders/order.js';
import type { OutboundQueue } from '../orders/outbound.js';
import type { RiskEngine } from '../risk/engine.js';
import type { VenueRouter } from '../venue/router.js';
import type { Venue } from '../venue/venue.js';
import type { LiveOrder } from './live-order.js';
import type { Applied } from './reports.js';
import type { RestoreSources } from './restore-orders.js';

/** The durable journal and book, as the execution stage uses them (the durable service). */
export interface ExecutionJournal {
  /** journals and applies a venue event of a book order; its seq, or why not */
  venueEvent(o: Order, type: EventType, at: number, status: OrderStatus | null, filledQty: number, reason: string | null, data: string): number | string;
  /** journals a venue record (bus-event JSON, or a binary routing record) of orders the book does not hold; its seq, or why not */
  appendVenueRecord(type: number, payload: string | Buffer, at: number): number | string;
  readonly durableSeq: number;
}

/** How far the drain side has made each shard's ring durable. */
export interface RingProgress {
  freedCount(shard: number): number;
}

/** Told of every applied execution report once it is durable (binary TCP sessions, ...). */
export interface ExecutionListener {
  executionReport(o: LiveOrder, a: Applied, execType: ExecType, at: number): void;
}

export class ExecutionCounters {
  routed = 0;
  cancelsSent = 0;
  reportsApplied = 0;
  /** duplicates, stale or terminal-order reports: nothing to apply */
  reportsIgnored = 0;
  /** reports for an order this gateway does not have */
  reportsUnknown = 0;
  fills = 0;
  filledQty = 0;
  cancelRejects = 0;
  /** venue events the journal (or the book's state machine) refused */
  refused = 0;
  reconciles = 0;
  /** restored orders the venue had never heard of, sent again */
  resent = 0;
}

export interface ExecutionDeps {
  log: Logger;
  journal: ExecutionJournal;
  outbound: OutboundQueue;
  progress: JournalProgress;
  rings: RingProgress;
  risk: RiskEngine;
  router: VenueRouter;
  venues: ReadonlyMap<string, Venue>;
  /** the decimal order id of a /v3 order number */
  orderId(orderNo: number): string;
  /** what recovery found: orders to rebuild or route (restore-orders.ts) */
  restored: RestoreSources;
  /** how long a cancelled /v3 order stays readable after it is done (count) */
  retainDone?: number;
  clock?: { nowMs(): number };
}


/**
 * Errors of the venue layer. Outcomes of orders are reports (values); these are for a venue that
 * cannot be started or has failed, with a stable `code` and the original error as `cause`.
 */
export type VenueErrorCode = 'VENUE_START_FAILED' | 'VENUE_CLOSED' | 'VENUE_WORKER_FAILED' | 'VENUE_FIX_CONFIG';

export class VenueError extends Error {
  constructor(
    readonly code: VenueErrorCode,
    readonly venue: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`venue ${venue}: ${message}`, options);
    this.name = 'VenueError';
  }
}

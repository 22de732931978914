/**
 * The one mapping from reject reasons to HTTP: the status code and the `status` word of the
 * JSON body, both decided by the reason's class (contract/reasons.ts), never by the reason.
 *
 *   malformed 400 · media-type 415 · too-large 413 · invalid 422 · risk 422 · throttled 429
 *   soft-backpressure 429 SOFT_REJECT · killed 503 KILLED · unavailable 503 · conflict 409
 *   final 409 · not-found 404 · internal 500 · auth 401 · session 400
 */
import { reasonClass, type Reason, type ReasonClass } from '../../contract/reasons.js';

const STATUS: Readonly<Record<ReasonClass, number>> = {
  malformed: 400,
  'media-type': 415,
  'too-large': 413,
  invalid: 422,
  risk: 422,
  throttled: 429,
  'soft-backpressure': 429,
  killed: 503,
  unavailable: 503,
  conflict: 409,
  final: 409,
  'not-found': 404,
  internal: 500,
  auth: 401,
  session: 400,
};

/** HTTP status of a reject. */
export function httpStatus(r: Reason): number {
  return STATUS[reasonClass(r)];
}

/** The body's `status` word: KILLED for a kill switch, SOFT_REJECT for soft backpressure, else REJECTED. */
export function statusWord(r: Reason): 'REJECTED' | 'KILLED' | 'SOFT_REJECT' {
  const c = reasonClass(r);
  return c === 'killed' ? 'KILLED' : c === 'soft-backpressure' ? 'SOFT_REJECT' : 'REJECTED';
}

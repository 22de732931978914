/**
 * Response writing for the HTTP transport. Bodies are ASCII JSON built by the caller; headers go
 * out as one flat array in a single writeHead call (no per-header setHeader bookkeeping).
 */
import type { ServerResponse } from 'node:http';
import { reasonMessage, type Reason } from '../../contract/reasons.js';

const JSON_TYPE = 'application/json';

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Sends an ASCII JSON body. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(body.length)]);
  res.end(body);
}

/** Sends a JSON body that may contain non-ASCII text. */
export function sendJsonUtf8(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/**
 * Sends an answer given as fields (status, body, whether the body is ASCII, whether it replays
 * an earlier answer: `idempotent-replayed: true`).
 */
export function sendReply(res: ServerResponse, status: number, body: string, ascii: boolean, replayed: boolean): void {
  const length = String(ascii ? body.length : Buffer.byteLength(body));
  if (replayed) res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', length, 'idempotent-replayed', 'true']);
  else res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', length]);
  res.end(body);
}

export function sendValue(res: ServerResponse, status: number, value: unknown): void {
  sendJsonUtf8(res, status, JSON.stringify(value));
}

/** `{"error":"<name>"}` bodies (authentication, lookup and routing errors). */
const errorBodies = new Map<string, string>();
export function errorBody(name: string): string {
  let b = errorBodies.get(name);
  if (b === undefined) errorBodies.set(name, (b = JSON.stringify({ error: name })));
  return b;
}

export function sendError(res: ServerResponse, status: number, name: string): void {
  sendJson(res, status, errorBody(name));
}

/** Precomputed `{"status":...,"reason":...,"message":...}` bodies, one per (status word, reason). */
const rejectBodies = new Map<string, string>();
export function rejectBody(statusWord: string, reason: Reason, message?: string): string {
  if (message !== undefined) return JSON.stringify({ status: statusWord, reason, message });
  const k = statusWord + reason;
  let b = rejectBodies.get(k);
  if (b === undefined) rejectBodies.set(k, (b = JSON.stringify({ status: statusWord, reason, message: reasonMessage(reason) })));
  return b;
}

/** {@link rejectBody} without its closing brace, for callers that append fields. */
const rejectOpenBodies = new Map<string, string>();
export function rejectBodyOpen(statusWord: string, reason: Reason, message?: string): string {
  if (message !== undefined) return rejectBody(statusWord, reason, message).slice(0, -1);
  const k = statusWord + reason;
  let b = rejectOpenBodies.get(k);
  if (b === undefined) rejectOpenBodies.set(k, (b = rejectBody(statusWord, reason).slice(0, -1)));
  return b;
}

/**
 * The answer to malformed HTTP (an llhttp error code, or node:http's timeout): the status node:http
 * itself would send, with an `{"error":...}` body naming the problem, and `Connection: close`.
 * A protocol error, not an order reject.
 */
export function protocolError(code: string | undefined): string {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return PROTOCOL_408;
    case 'HPE_HEADER_OVERFLOW':
      return closing(431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return closing(413, 'Payload Too Large', 'CHUNK_EXTENSIONS_TOO_LARGE');
    default:
      return closing(400, 'Bad Request', 'BAD_REQUEST');
  }
}

function closing(status: number, text: string, error: string): string {
  const body = errorBody(error);
  return `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

/** A request not complete within the request timeout (node:http and the fast lane alike). */
export const PROTOCOL_408 = closing(408, 'Request Timeout', 'REQUEST_TIMEOUT');

/**
 * The fast lane's answers as bytes: the same status line and header lines node:http writes
 * (`content-type`, `content-length`, `idempotent-replayed` on replays, `Date`, then
 * `Connection: keep-alive` and `Keep-Alive`, or `Connection: close`), built by concatenation
 * with the Date text cached per second. Event-loop thread only.
 */
import { STATUS_CODES } from 'node:http';

export class LaneAnswerText {
  private dateText = '';
  private dateUntil = 0;
  private readonly keepAliveHeaders: string;

  constructor(keepAliveTimeoutMs: number) {
    this.keepAliveHeaders = `\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  format(status: number, body: string, ascii: boolean, replayed: boolean, close = false): string {
    const now = Date.now();
    if (now >= this.dateUntil) {
      this.dateText = new Date(now).toUTCString();
      this.dateUntil = now - (now % 1000) + 1000;
    }
    return (
      'HTTP/1.1 ' +
      status +
      ' ' +
      STATUS_CODES[status] +
      '\r\ncontent-type: application/json\r\ncontent-length: ' +
      (ascii ? body.length : Buffer.byteLength(body)) +
      (replayed ? '\r\nidempotent-replayed: true\r\nDate: ' : '\r\nDate: ') +
      this.dateText +
      (close ? '\r\nConnection: close\r\n\r\n' : this.keepAliveHeaders) +
      body
    );
  }
}

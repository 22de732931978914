/** A raw HTTP/1.1 client connection for tests that need exact bytes, pipelining and splits. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  /** header lines as sent, lower-case names, in order */
  headers: [string, string][];
  body: string;
}

/** A raw HTTP/1.1 client connection that parses answers as they arrive. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private readonly answers: Answer[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  private readonly closedP: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
      this.waiter?.();
    });
    this.closedP = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private parse(): void {
    for (;;) {
      const he = this.buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const lines = this.buf.toString('latin1', 0, he).split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const headers = lines.slice(1).map((l): [string, string] => {
        const c = l.indexOf(':');
        return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
      });
      // node:http's own 400 for a request it cannot parse has no body and closes the connection
      const cl = headers.find(([n]) => n === 'content-length');
      const len = cl === undefined ? 0 : Number(cl[1]);
      if (this.buf.length < he + 4 + len) return;
      this.answers.push({ status, headers, body: this.buf.toString('utf8', he + 4, he + 4 + len) });
      this.buf = this.buf.subarray(he + 4 + len);
    }
  }

  /** Waits for `n` answers in total (or the connection to close) and takes them. */
  async take(n: number): Promise<Answer[]> {
    while (this.answers.length < n && !this.closed) await new Promise<void>((r) => (this.waiter = r));
    assert.ok(this.answers.length >= n, `expected ${n} answers, the connection closed after ${this.answers.length}`);
    return this.answers.splice(0, n);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  waitClosed(): Promise<void> {
    return this.closedP;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function v3Request(tok: string, body: string, extra: string[] = [], path = '/v3/orders'): string {
  const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Authorization: Bearer ${tok}`, `Content-Length: ${Buffer.byteLength(body)}`, ...extra];
  return head.join('\r\n') + '\r\n\r\n' + body;
}


/**
 * A minimal HTTP/1.1 response parser for the open-loop generator: enough to frame keep-alive
 * responses on a raw socket (status line, Content-Length or chunked body, no body for 1xx, 204
 * and 304) and nothing more. Headers other than Content-Length and Transfer-Encoding are skipped
 * without being stored; the body is kept only when the caller asks for it (by default only for
 * non-2xx answers, to read their reason).
 *
 * Owning thread: the generator's sender thread. No sockets here: `feed()` takes bytes in any
 * split and calls `onResponse` once per complete response, in order. Malformed input throws
 * {@link HttpResponseParseError}; the caller drops the connection.
 *
 * Layout: unconsumed bytes of the current response are kept in `pending` only when a response
 * spans two chunks (rare on loopback); a response arriving whole is parsed in place.
 */

export class HttpResponseParseError extends Error {
  readonly code = 'HTTP_RESPONSE_PARSE';
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
}

export type OnResponse = (status: number, body: Buffer | null) => void;

export class ResponseParser {
  private state = State.Head;
  private pending: Buffer | null = null;
  private status = 0;
  private remaining = 0;
  private keep = false;
  private bodyParts: Buffer[] = [];

  constructor(
    private readonly onResponse: OnResponse,
    private readonly keepBody: (status: number) => boolean = (s) => s < 200 || s >= 300,
  ) {}

  feed(chunk: Buffer): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let off = 0;
    for (;;) {
      const used = this.step(buf, off);
      if (used < 0) break; // needs more bytes
      off = used;
      if (off >= buf.length) return;
    }
    if (off < buf.length) this.pending = off === 0 ? buf : buf.subarray(off);
  }

  /** Consumes one element at `off`; returns the new offset, or −1 when more bytes are needed. */
  private step(buf: Buffer, off: number): number {
    switch (this.state) {
      case State.Head: {
        const end = buf.indexOf(CRLFCRLF, off);
        if (end < 0) {
          if (buf.length - off > MAX_HEAD_BYTES) throw new HttpResponseParseError('response head larger than 64 KiB');
          return -1;
        }
        this.head(buf.toString('latin1', off, end));
        return end + 4;
      }
      case State.Body: {
        const n = Math.min(this.remaining, buf.length - off);
        if (n === 0) return -1;
        if (this.keep) this.bodyParts.push(buf.subarray(off, off + n));
        this.remaining -= n;
        if (this.remaining === 0) this.finish();
        return off + n;
      }
      case State.ChunkSize: {
        const eol = buf.indexOf('\r\n', off, 'latin1');
        if (eol < 0) {
          if (buf.length - off > 1024) throw new HttpResponseParseError('chunk size line too long');
          return -1;
        }
        const line = buf.toString('latin1', off, eol).split(';')[0]!.trim();
        if (!/^[0-9a-fA-F]{1,8}$/.test(line)) throw new HttpResponseParseError(`bad chunk size ${JSON.stringify(line)}`);
        this.remaining = parseInt(line, 16);
        this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
        return eol + 2;
      }
      case State.ChunkData: {
        const n = Math.min(this.remaining, buf.length - off);
        if (n === 0) return -1;
        if (this.keep) this.bodyParts.push(buf.subarray(off, off + n));
        this.remaining -= n;
        if (this.remaining === 0) this.state = State.ChunkDataEnd;
        return off + n;
      }
      case State.ChunkDataEnd: {
        if (buf.length - off < 2) return -1;
        if (buf[off] !== 13 || buf[off + 1] !== 10) throw new HttpResponseParseError('chunk data not followed by CRLF');
        this.state = State.ChunkSize;
        return off + 2;
      }
      case State.Trailers: {
        // Either an empty line right away, or trailer lines ending with an empty line.
        if (buf.length - off < 2) return -1;
        if (buf[off] === 13 && buf[off + 1] === 10) {
          this.finish();
          return off + 2;
        }
        const end = buf.indexOf(CRLFCRLF, off);
        if (end < 0) return -1;
        this.finish();
        return end + 4;
      }
    }
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (m === null) throw new HttpResponseParseError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    this.status = Number(m[1]);
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const c = l.indexOf(':');
      if (c <= 0) throw new HttpResponseParseError(`bad header line ${JSON.stringify(l.slice(0, 80))}`);
      const name = l.slice(0, c).trim().toLowerCase();
      if (name === 'content-length') {
        const v = l.slice(c + 1).trim();
        if (!/^\d{1,12}$/.test(v)) throw new HttpResponseParseError(`bad content-length ${JSON.stringify(v)}`);
        length = Number(v);
      } else if (name === 'transfer-encoding') {
        chunked = l.slice(c + 1).trim().toLowerCase().endsWith('chunked');
      }
    }
    this.keep = this.keepBody(this.status);
    this.bodyParts = [];
    if ((this.status >= 100 && this.status < 200) || this.status === 204 || this.status === 304) {
      // 1xx are interim: not a response to count. 204/304 carry no body.
      if (this.status >= 200) this.finish();
      return;
    }
    if (chunked) {
      this.state = State.ChunkSize;
      return;
    }
    if (length < 0) throw new HttpResponseParseError('response without Content-Length or chunked encoding (read-until-close is not supported)');
    this.remaining = length;
    if (length === 0) this.finish();
    else this.state = State.Body;
  }

  private finish(): void {
    const body = this.keep ? Buffer.concat(this.bodyParts) : null;
    this.bodyParts = [];
    this.state = State.Head;
    this.onResponse(this.status, body);
  }
}

/**
 * The Node floor (PRODUCT.md, "Performance targets"): a raw node:net responder that answers
 * every HTTP request with a canned 202 and a fixed acknowledgement-shaped body, without parsing
 * it. It only frames requests — finds the end of the head and skips Content-Length bytes of
 * body — so that keep-alive and pipelined requests each get one answer. No JSON, no header
 * objects, no node:http: the least any Node HTTP service can do per request on this machine.
 *
 * Owning thread: its own process, one event loop. Prints `{"msg":"ready","httpPort":N}`.
 * Env: PORT (0 = pick a free port).
 */
import { createServer, type Socket } from 'node:net';

const BODY = '{"status":"VOLATILE_ACCEPT","sessionId":"floor","sessionSeq":1,"orderId":"floor-1","receivedAtNs":1}';
const ANSWER = Buffer.from(`HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n');
const CL = Buffer.from('content-length:');

/** Bytes of request body still to skip, and bytes kept while a head spans two reads. */
interface Framing {
  skip: number;
  pending: Buffer | null;
}

/** Content-Length of a request head (case-insensitive search in the raw bytes), 0 when absent. */
function contentLength(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end - CL.length; i++) {
    let j = 0;
    while (j < CL.length && (CL[j]! >= 97 ? buf[i + j]! | 0x20 : buf[i + j]!) === CL[j]) j++;
    if (j === CL.length) {
      let k = i + j;
      while (buf[k] === 32) k++;
      let n = 0;
      while (k < end && buf[k]! >= 48 && buf[k]! <= 57) n = n * 10 + buf[k++]! - 48;
      return n;
    }
  }
  return 0;
}

function onData(s: Socket, f: Framing, chunk: Buffer): void {
  const buf = f.pending === null ? chunk : Buffer.concat([f.pending, chunk]);
  f.pending = null;
  let off = 0;
  let answers = 0;
  while (off < buf.length) {
    if (f.skip > 0) {
      const n = Math.min(f.skip, buf.length - off);
      f.skip -= n;
      off += n;
      continue;
    }
    const end = buf.indexOf(HEAD_END, off);
    if (end < 0) {
      if (buf.length - off > 64 * 1024) return void s.destroy();
      f.pending = buf.subarray(off);
      break;
    }
    f.skip = contentLength(buf, off, end);
    off = end + 4;
    answers++;
  }
  if (answers === 1) s.write(ANSWER);
  else if (answers > 1) s.write(Buffer.concat(Array.from({ length: answers }, () => ANSWER)));
}

const server = createServer({ noDelay: true }, (s) => {
  const f: Framing = { skip: 0, pending: null };
  s.on('data', (d: Buffer) => onData(s, f, d));
  s.on('error', () => s.destroy());
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ msg: 'ready', httpPort: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** Hand-off of a connection to node:http after the client's FIN (fast-lane.ts). */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * A duplex stream for node:http in front of a socket whose readable side has ended: it yields
 * `rest`, then the end; what node:http writes goes to the socket.
 */
export function afterEnd(s: Socket, rest: Buffer): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      s.write(chunk, cb);
    },
    final(cb) {
      s.end(cb);
    },
    destroy(err, cb) {
      s.destroy();
      cb(err);
    },
  });
  s.once('close', () => d.destroy());
  if (rest.length > 0) d.push(rest);
  d.push(null);
  return d;
}

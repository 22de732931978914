/**
 * The ceiling for a Node TCP service on this machine: echoes every byte it receives.
 * Prints `{"msg":"ready","tcpPort":N}`.
 */
import { createServer } from 'node:net';

const server = createServer({ noDelay: true }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('error', () => s.destroy());
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ msg: 'ready', httpPort: 0, tcpPort: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

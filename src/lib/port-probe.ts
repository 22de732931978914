/**
 * Start-up check that the listen ports are free, run before anything durable happens (the /v3
 * numbering epoch, journal files): a second gateway started on a busy port stops with one line
 * naming the port and consumes nothing.
 *
 * The probe binds and closes at once; a port taken between the probe and the real listen still
 * fails the listen, with the same error.
 */
import { createServer } from 'node:net';

/** A listen port is taken (EADDRINUSE) or not ours to bind (EACCES). */
export class PortUnavailableError extends Error {
  readonly code = 'PORT_UNAVAILABLE';
  constructor(
    /** the setting that chose the port, e.g. GATEWAY_PORT */
    readonly variable: string,
    readonly host: string,
    readonly port: number,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(
      cause.code === 'EADDRINUSE'
        ? `${variable}: port ${port} on ${host} is already in use (another gateway running?); stop it or choose another port (${variable}=0 picks a free one)`
        : `${variable}: cannot listen on ${host}:${port} (${cause.code ?? cause.message})`,
    );
    this.name = 'PortUnavailableError';
  }
}

/** Resolves when `host:port` can be bound now; port 0 (any free port) always can. */
export function probePort(variable: string, host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => reject(new PortUnavailableError(variable, host, port, err)));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** Wraps a listen failure of `variable`'s port in the same error as the probe's. */
export function listenError(variable: string, host: string, port: number, err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  return e !== null && typeof e === 'object' && (e.code === 'EADDRINUSE' || e.code === 'EACCES') ? new PortUnavailableError(variable, host, port, e) : err;
}

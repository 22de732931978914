/** Structured JSON logging (pino) to stdout. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'switchyard' }, timestamp: pino.stdTimeFunctions.isoTime });
}

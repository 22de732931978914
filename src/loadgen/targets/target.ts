/** What the send loop drives: one transport to the gateway. */
import type { SendFn } from '../runner.js';

export interface Target {
  /** short description for the summary, e.g. "http POST http://127.0.0.1:8081/v3/orders" */
  readonly description: string;
  readonly send: SendFn;
  close(): Promise<void>;
}

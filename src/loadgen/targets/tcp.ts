/**
 * TCP target: the binary protocol over M connections with `@switchyard/client`, requests
 * pipelined and spread round-robin over the connections (connection j logs in as account
 * j mod accounts).
 */
import { SwitchyardClient, type OrderRequest, type SwitchyardError } from '@switchyard/client';
import type { Outcome } from '../recorder.js';
import type { Target } from './target.js';

export interface TcpTargetOptions {
  host: string;
  port: number;
  connections: number;
  tokens: string[];
  order: (i: number) => OrderRequest;
  heartbeatMs?: number;
}

export async function tcpTarget(o: TcpTargetOptions): Promise<Target> {
  const clients: SwitchyardClient[] = [];
  try {
    for (let j = 0; j < o.connections; j++) {
      clients.push(
        await SwitchyardClient.connect({
          host: o.host,
          port: o.port,
          token: o.tokens[j % o.tokens.length],
          heartbeatMs: o.heartbeatMs ?? 1000,
        }),
      );
    }
  } catch (e) {
    for (const c of clients) c.destroy();
    throw e;
  }
  const m = clients.length;

  const send = (i: number, done: (out: Outcome) => void): void => {
    clients[i % m].newOrder(o.order(i)).then(
      (r) =>
        done(r.status === 'ACK' ? { accepted: true, status: 'ACK', reason: null } : { accepted: false, status: 'REJECTED', reason: r.reason }),
      (e: SwitchyardError) => done({ accepted: false, status: 'ERROR', reason: e.code ?? e.name }),
    );
  };

  return {
    description: `tcp ${o.host}:${o.port} (${o.connections} connections, pipelined)`,
    send,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

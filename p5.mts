import { pino } from 'pino';
import { openBooks } from './src/backoffice/storage/open.ts';
import { planEvent } from './src/backoffice/domain/booking.ts';
import { parseEventId } from './src/backoffice/domain/event-id.ts';
import { loadBackofficeConfig } from './src/backoffice/config.ts';
const log = pino({ level: 'debug' });
const cfg = loadBackofficeConfig({});
const kind = process.argv[2];
const t0 = performance.now();
const ob = await openBooks(kind === 'pg' ? { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/bo_scratch' } : { kind: 'pglite', dir: '/tmp/bo-proto/p5' }, log);
console.log('open', performance.now() - t0, ob.migrated);
const evs = [
  { id: 'gw.orders.1', e: { type: 'OrderAccepted', at: '2026-01-01T00:00:00.000Z', accountId: 'a1', orderId: 'o1', data: { symbol: 'AAPL', side: 'BUY', qty: 10, price: 15000, clientOrderId: 'c1' } } },
  { id: 'gw.orders.2', e: { type: 'ExecutionReport', at: '2026-01-01T00:00:01.000Z', accountId: 'a1', orderId: 'o1', data: { symbol: 'AAPL', side: 'BUY', cumQty: 4, lastQty: 4, lastPx: 15000, avgPx: 15000, leavesQty: 6, status: 'PARTIALLY_FILLED', execId: 'x1', venue: 'SIM', execType: 'TRADE', reason: null } } },
  { id: 'gw.orders.2', e: { type: 'ExecutionReport', at: '2026-01-01T00:00:01.000Z', accountId: 'a1', orderId: 'o1', data: { symbol: 'AAPL', side: 'BUY', cumQty: 4, lastQty: 4, lastPx: 15000, avgPx: 15000, leavesQty: 6, status: 'PARTIALLY_FILLED', execId: 'x1', venue: 'SIM', execType: 'TRADE', reason: null } } },
];
for (const { id, e } of evs) {
  const step = planEvent(id, e as any, cfg.booking);
  const r = await ob.books.apply({ id, position: parseEventId(id), type: e.type, at: e.at }, step);
  console.log(id, r.fresh, r.fresh && r.writes.outcome);
}
console.log(await ob.books.positions({ accountId: null }, 10), await ob.books.balances({ accountId: null }, 10), await ob.books.lastAppliedPerStream());
await ob.close();

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUS_EVENT_TYPES } from '../../../src/contract/bus-event.js';
import { eventFrame, eventsEndpoint, parseLastEventId, resyncFrame, sseEventName } from '../../../src/transport/sse/frames.js';

describe('SSE frames', () => {
  it('names events as the original: order_durable, order_update, execution_report', () => {
    const names = Object.fromEntries(BUS_EVENT_TYPES.map((t) => [t, sseEventName(t)]));
    assert.deepEqual(names, {
      OrderAccepted: 'order_durable',
      CancelRequested: 'order_update',
      OrderUpdated: 'order_update',
      OrderSent: 'order_update',
      CancelSent: 'order_update',
      ExecutionReport: 'execution_report',
    });
    assert.equal(sseEventName('SomethingNew'), 'order_update');
  });

  it('frames an event as id, event, data lines and a blank line', () => {
    const json = JSON.stringify({ type: 'OrderAccepted', at: '2026-01-01T00:00:00.000Z', accountId: 'a', orderId: 'o', data: { note: 'line\nbreak' } });
    const f = eventFrame('g.orders.7', 'order_durable', json);
    assert.equal(f, `id: g.orders.7\nevent: order_durable\ndata: ${json}\n\n`);
    // JSON escapes line breaks: the frame has exactly its four line ends
    assert.equal(f.split('\n').length, 5);
  });

  it('resync_required carries the original keys, points at the events endpoint, has no id line', () => {
    const f = resyncFrame({ kind: 'account', accountId: 'acct 1' }, 'g.orders.3', 'g.orders.10');
    assert.ok(f.startsWith('event: resync_required\ndata: '));
    assert.ok(!f.includes('\nid:') && !f.startsWith('id:'));
    const data = JSON.parse(f.split('\n')[1]!.slice(6));
    assert.deepEqual(data, { eventsEndpoint: '/accounts/acct%201/events', id: 'acct 1', lastEventId: 'g.orders.3', oldestAvailableId: 'g.orders.10', scope: 'account' });
    assert.equal(eventsEndpoint({ kind: 'order', accountId: 'a', orderId: 'ord-1' }), '/orders/ord-1/events');
    assert.equal(eventsEndpoint({ kind: 'all' }), '/events/feed');
    const o = JSON.parse(resyncFrame({ kind: 'order', accountId: 'a', orderId: 'x' }, 'z', null).split('\n')[1]!.slice(6));
    assert.deepEqual(o, { eventsEndpoint: '/orders/x/events', id: 'x', lastEventId: 'z', oldestAvailableId: null, scope: 'order' });
  });

  it('Last-Event-ID: missing, blank or 0 means no replay', () => {
    assert.equal(parseLastEventId(undefined), undefined);
    assert.equal(parseLastEventId(''), undefined);
    assert.equal(parseLastEventId('  '), undefined);
    assert.equal(parseLastEventId('0'), undefined);
    assert.equal(parseLastEventId(' g.orders.5 '), 'g.orders.5');
  });
});

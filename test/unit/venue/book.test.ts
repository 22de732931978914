import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Side } from '../../../src/contract/order.js';
import { type BookOrder, type FillSink, OrderBook } from '../../../src/venue/sim/book.js';

interface Fill {
  maker: string;
  qty: number;
  price: number;
}

function recorder(): FillSink & { fills: Fill[] } {
  const fills: Fill[] = [];
  return { fills, fill: (maker: BookOrder, qty: number, price: number) => fills.push({ maker: maker.owner as string, qty, price }) };
}

function rest(book: OrderBook, side: Side, price: number, qty: number, name: string): BookOrder {
  const o = book.order(side, price, qty, name);
  book.rest(o);
  return o;
}

describe('order book: price-time priority', () => {
  it('fills the best price first, then the oldest order at a price', () => {
    const b = new OrderBook('AAPL');
    rest(b, Side.Sell, 101, 10, 's1');
    rest(b, Side.Sell, 100, 10, 's2');
    rest(b, Side.Sell, 100, 10, 's3');
    const sink = recorder();
    const taker = b.order(Side.Buy, 101, 25, 'buyer');
    assert.equal(b.match(taker, 101, sink), 25);
    assert.deepEqual(sink.fills, [
      { maker: 's2', qty: 10, price: 100 },
      { maker: 's3', qty: 10, price: 100 },
      { maker: 's1', qty: 5, price: 101 },
    ]);
    assert.equal(taker.leaves, 0);
    assert.equal(b.bestAsk(), 101);
    assert.equal(b.depthAt(Side.Sell, 101), 5);
  });

  it('stops at the limit price and leaves the remainder to rest', () => {
    const b = new OrderBook('AAPL');
    rest(b, Side.Sell, 100, 10, 's1');
    rest(b, Side.Sell, 102, 10, 's2');
    const sink = recorder();
    const taker = b.order(Side.Buy, 101, 30, 'buyer');
    assert.equal(b.match(taker, 101, sink), 10);
    assert.equal(taker.leaves, 20);
    b.rest(taker);
    assert.equal(b.bestBid(), 101);
    assert.equal(b.bestAsk(), 102);
    assert.equal(b.depthAt(Side.Buy, 101), 20);
  });

  it('sells hit the highest bid first (trade at the maker price)', () => {
    const b = new OrderBook('AAPL');
    rest(b, Side.Buy, 98, 5, 'b1');
    rest(b, Side.Buy, 99, 5, 'b2');
    const sink = recorder();
    const taker = b.order(Side.Sell, 97, 7, 'seller');
    b.match(taker, 97, sink);
    assert.deepEqual(sink.fills, [
      { maker: 'b2', qty: 5, price: 99 },
      { maker: 'b1', qty: 2, price: 98 },
    ]);
    assert.equal(b.depthAt(Side.Buy, 98), 3);
  });

  it('a market order (limit 0) walks every level until filled or the side is empty', () => {
    const b = new OrderBook('AAPL');
    rest(b, Side.Sell, 100, 10, 's1');
    rest(b, Side.Sell, 150, 10, 's2');
    const sink = recorder();
    const taker = b.order(Side.Buy, 0, 25, 'm');
    assert.equal(b.match(taker, 0, sink), 20);
    assert.equal(taker.leaves, 5);
    assert.equal(b.bestAsk(), 0);
  });

  it('a cancelled order loses its place and its quantity leaves the level', () => {
    const b = new OrderBook('AAPL');
    const s1 = rest(b, Side.Sell, 100, 10, 's1');
    rest(b, Side.Sell, 100, 10, 's2');
    assert.equal(b.remove(s1), true);
    assert.equal(b.remove(s1), false);
    assert.equal(b.depthAt(Side.Sell, 100), 10);
    const sink = recorder();
    b.match(b.order(Side.Buy, 100, 15, 'buyer'), 100, sink);
    assert.deepEqual(sink.fills, [{ maker: 's2', qty: 10, price: 100 }]);
    assert.equal(b.bestAsk(), 0);
  });

  it('removing the last order of a level removes the level', () => {
    const b = new OrderBook('AAPL');
    const s = rest(b, Side.Sell, 100, 10, 's');
    rest(b, Side.Sell, 101, 10, 't');
    b.remove(s);
    assert.equal(b.bestAsk(), 101);
  });

  it('refuses to rest an order with nothing left', () => {
    const b = new OrderBook('AAPL');
    const o = b.order(Side.Buy, 100, 1, 'x');
    o.leaves = 0;
    assert.throws(() => b.rest(o));
  });

  it('keeps time priority across many orders and partial maker fills', () => {
    const b = new OrderBook('AAPL');
    for (let i = 0; i < 100; i++) rest(b, Side.Buy, 100, 3, `b${i}`);
    const sink = recorder();
    for (let i = 0; i < 50; i++) b.match(b.order(Side.Sell, 100, 2, 's'), 100, sink);
    // 100 sold in lots of 2 against makers of 3: makers 0..32 full, maker 33 partly
    const byMaker = new Map<string, number>();
    for (const f of sink.fills) byMaker.set(f.maker, (byMaker.get(f.maker) ?? 0) + f.qty);
    assert.equal(byMaker.get('b0'), 3);
    assert.equal(byMaker.get('b32'), 3);
    assert.equal(byMaker.get('b33'), 1);
    assert.equal(byMaker.has('b34'), false);
    assert.equal(b.depthAt(Side.Buy, 100), 200);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duplicateKey, KnownKeys } from '../../../src/contract/duplicate-keys.js';
import { ContractViolation, orderRequestSchema, parseOrderRequest } from '../../../src/contract/order-request.js';
import { type NewOrder, Side } from '../../../src/contract/order.js';

const KEYS = new KnownKeys(Object.keys(orderRequestSchema.properties));

/** duplicateKey with the member count of the parsed text, as the callers pass it. */
function dupIn(text: string): number {
  return duplicateKey(text, KEYS, Object.keys(JSON.parse(text) as object).length);
}

/** A valid value for each contract field (a GTD order, so that every field may appear). */
const VALUES: Record<string, string> = {
  symbol: '"AAPL"',
  side: '"BUY"',
  type: '"LIMIT"',
  qty: '100',
  price: '15000',
  timeInForce: '"GTD"',
  expireAt: '4102444800000',
  clientOrderId: '"c-1"',
};

function body(members: Array<[string, string]>): string {
  return '{' + members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
}

function reasonOf(text: string): string | null {
  const r = parseOrderRequest(text);
  return r instanceof ContractViolation ? r.reason : null;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `name` as a JSON string with every character written as a \u escape when `all`, else one. */
function escapedName(name: string, all: boolean): string {
  let out = '"';
  for (let i = 0; i < name.length; i++) {
    const esc = all || i === 1;
    out += esc ? '\\u' + name.charCodeAt(i).toString(16).padStart(4, '0') : name[i];
  }
  return out + '"';
}

describe('duplicate JSON member names', () => {
  it('the README examples: the last value no longer wins', () => {
    const sideTwice = '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100,"price":15000,"side":"SELL"}';
    assert.equal((JSON.parse(sideTwice) as { side: string }).side, 'SELL', 'JSON.parse alone keeps the last');
    const r = parseOrderRequest(sideTwice);
    assert.ok(r instanceof ContractViolation);
    assert.deepEqual([r.reason, r.status, r.message], ['DUPLICATE_FIELD', 400, 'field "side" appears more than once']);
    assert.equal(reasonOf('{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":100000000,"price":15000,"qty":1}'), 'DUPLICATE_FIELD');
  });

  it('refuses every contract field named twice, wherever the second one is', () => {
    const names = Object.keys(VALUES);
    for (const dup of names) {
      for (let at = 0; at <= names.length; at++) {
        const members: Array<[string, string]> = names.map((n) => [n, VALUES[n]!]);
        members.splice(at, 0, [dup, VALUES[dup]!]);
        const text = body(members);
        const r = parseOrderRequest(text);
        assert.ok(r instanceof ContractViolation, text);
        assert.equal(r.reason, 'DUPLICATE_FIELD', text);
        assert.equal(r.message, `field ${JSON.stringify(dup)} appears more than once`);
        assert.equal(KEYS.names[dupIn(text)], dup);
      }
    }
    // the same body without the duplicate is a valid order
    const ok = parseOrderRequest(body(names.map((n) => [n, VALUES[n]!])));
    assert.ok(!(ok instanceof ContractViolation));
  });

  it('sees names written with escapes as the names they spell', () => {
    for (const all of [false, true]) {
      const text = `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000,${escapedName('side', all)}:"SELL"}`;
      assert.equal(JSON.parse(text).side, 'SELL');
      assert.equal(reasonOf(text), 'DUPLICATE_FIELD', text);
    }
    // both occurrences escaped, differently
    assert.equal(reasonOf('{"symbol":"AAPL","\\u0073ide":"BUY","type":"LIMIT","qty":1,"price":15000,"s\\u0069de":"SELL"}'), 'DUPLICATE_FIELD');
    assert.equal(reasonOf('{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000,"\\u0071ty":2}'), 'DUPLICATE_FIELD');
    // an escaped name that is not repeated is a normal member
    const once = parseOrderRequest('{"\\u0073ymbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000}');
    assert.ok(!(once instanceof ContractViolation));
    assert.equal((once as NewOrder).symbol, 'AAPL');
  });

  it('ignores member names inside nested values (they are not members of the body)', () => {
    const nested = '{"symbol":"AAPL","extra":{"side":"BUY","side":"SELL","qty":1},"list":[{"qty":1},{"qty":2}],"side":"BUY","type":"LIMIT","qty":1}';
    assert.equal(dupIn(nested), -1);
    assert.equal(reasonOf(nested), 'UNKNOWN_FIELD', 'an unknown field is refused as such');
    assert.equal(dupIn('{"a":[["side","side"]],"side":1,"b":{"c":{"side":2}}}'), -1);
    assert.equal(dupIn('{"a":[["side","side"]],"side":1,"b":{"c":{"side":2}},"side":3}'), KEYS.names.indexOf('side'));
  });

  it('does not mistake text inside string values for member names', () => {
    // clientOrderId may hold any printable ASCII, quotes and backslashes included
    const tricky = ['","side":"SELL', '\\","side":"SELL', '\\\\', 'a\\"b', '{"side":1}', ',"qty":', '\\u0022side\\u0022:'];
    for (const id of tricky) {
      const text = `{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000,"clientOrderId":${JSON.stringify(id)}}`;
      const r = parseOrderRequest(text);
      assert.ok(!(r instanceof ContractViolation), `${text}: ${r instanceof ContractViolation ? r.reason : ''}`);
      assert.equal((r as NewOrder).clientOrderId, id);
      assert.equal((r as NewOrder).side, Side.Buy);
    }
    // colons inside values: the colon count alone cannot clear the body, the scan decides
    const colonsInValues = '{"symbol":"A:B","side":"BUY","type":"LIMIT","qty":1,"price":15000,"clientOrderId":"x:\\"side\\":y"}';
    assert.equal(dupIn(colonsInValues), -1);
    assert.equal(dupIn(colonsInValues.replace('}', ',"type":"LIMIT"}')), KEYS.names.indexOf('type'));
    // a string value ending in an escaped backslash, followed by a real duplicate
    assert.equal(reasonOf('{"clientOrderId":"x\\\\","symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000,"side":"BUY"}'), 'DUPLICATE_FIELD');
  });

  it('tolerates any JSON whitespace around names and values', () => {
    const text = ' \n{ "symbol" :\t"AAPL" , "side" : "BUY" ,\r\n "type":"LIMIT", "qty" : 1 , "price":15000 , "side"\n:\n"SELL" } ';
    assert.equal(reasonOf(text), 'DUPLICATE_FIELD');
    assert.equal(reasonOf(text.replace('"side"\n:\n"SELL"', '"clientOrderId" : null')), null);
  });

  it('agrees with a reference on seeded random bodies (shuffled, escaped, spaced, with nested noise)', () => {
    const r = rng(42);
    const names = Object.keys(VALUES);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
    const ws = () => pick(['', '', ' ', '\n', '\t ', '\r\n']);
    for (let round = 0; round < 3000; round++) {
      const members: Array<[string, string]> = [];
      for (const n of names) if (r() < 0.7) members.push([n, VALUES[n]!]);
      let expected = -1;
      if (r() < 0.5 && members.length > 0) {
        const d = pick(members);
        members.push([d[0], d[1]]);
      }
      if (r() < 0.3) members.push(['noise', pick(['{"side":1,"side":2}', '["qty","qty"]', '"\\"side\\":1"', '{"a":{"qty":[1,{"qty":2}]}}'])]);
      for (let i = members.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [members[i], members[j]] = [members[j]!, members[i]!];
      }
      // the reference: the first name (in text order) seen a second time
      const seen = new Set<string>();
      for (const [k] of members) {
        if (seen.has(k) && names.includes(k)) {
          expected = names.indexOf(k);
          break;
        }
        seen.add(k);
      }
      const text =
        ws() +
        '{' +
        members
          .map(([k, v]) => ws() + (r() < 0.2 ? escapedName(k, r() < 0.5) : JSON.stringify(k)) + ws() + ':' + ws() + v + ws())
          .join(',') +
        '}' +
        ws();
      JSON.parse(text); // the generator makes valid JSON
      assert.equal(dupIn(text), expected, text);
    }
  });

  it('KnownKeys refuses sets it cannot track', () => {
    assert.throws(() => new KnownKeys([]), RangeError);
    assert.throws(() => new KnownKeys(['a', 'a']), RangeError);
    assert.throws(() => new KnownKeys(Array.from({ length: 32 }, (_, i) => `k${i}`)), RangeError);
  });
});

/**
 * The fast path's fingerprints are keyed per process, spread crafted keys over the table, and the
 * idempotency window never answers one (account, key) pair with another's acknowledgement, even
 * when their fingerprints collide.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fingerprintNumbered, fingerprintPair, fpA, fpB } from '../../../src/lib/fingerprint-index.js';
import { CONFLICT, IdempotencyWindow, MISS } from '../../../src/fastpath/idempotency-window.js';

const MODULE = fileURLToPath(new URL('../../../src/lib/fingerprint-index.ts', import.meta.url));

/** fingerprintPair('acct-1', 'key-1') as computed by a fresh Node process. */
function inAnotherProcess(): string {
  const code = `const m = await import(${JSON.stringify(MODULE)}); m.fingerprintPair('acct-1', 'key-1'); console.log(m.fpA + ':' + m.fpB);`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' }).trim();
}

describe('keyed fingerprints', () => {
  it('depend on a secret drawn per process (stable within one)', () => {
    fingerprintPair('acct-1', 'key-1');
    const here = `${fpA}:${fpB}`;
    fingerprintPair('acct-1', 'key-1');
    assert.equal(`${fpA}:${fpB}`, here, 'deterministic within the process');
    const a = inAnotherProcess();
    const b = inAnotherProcess();
    assert.notEqual(a, b, 'two processes, two secrets');
    assert.notEqual(a, here);
  });

  it('spread keys that differ only in high character bits over every home slot', () => {
    // The unkeyed hash's low k bits depended only on the low k bits of the characters: keys that
    // differ only in bit 7 (latin1 letters in a header value) all shared one home slot modulo 128.
    const base = 'order-000000';
    const homes = new Set<number>();
    for (let mask = 0; mask < 4096; mask++) {
      let key = '';
      for (let i = 0; i < base.length; i++) key += String.fromCharCode(base.charCodeAt(i) | ((mask >> i) & 1 ? 0x80 : 0));
      fingerprintPair('acct-1', key);
      homes.add(fpA & 127);
    }
    assert.ok(homes.size > 100, `4096 such keys reach ${homes.size} of 128 home slots`);
  });

  it('keep the parts of a pair and of a numbered key apart', () => {
    fingerprintPair('ab', 'c');
    const x = `${fpA}:${fpB}`;
    fingerprintPair('a', 'bc');
    assert.notEqual(`${fpA}:${fpB}`, x);
    fingerprintPair('', 'abc');
    assert.notEqual(`${fpA}:${fpB}`, x);
    fingerprintNumbered('s', 0);
    const n0 = `${fpA}:${fpB}`;
    fingerprintPair('s', '');
    assert.notEqual(`${fpA}:${fpB}`, n0, 'a numbered key is not a pair');
    // odd and even lengths: the last lone code unit is not confused with a padded pair
    fingerprintPair('a\u0000', 'b');
    const padded = `${fpA}:${fpB}`;
    fingerprintPair('a', 'b');
    assert.notEqual(`${fpA}:${fpB}`, padded);
  });
});

describe('idempotency window under a fingerprint collision', () => {
  /**
   * A pair fingerprint under which ('acct-B', 'key-B') and ('acct-A', 'key-Z') collide with
   * ('acct-A', 'key-A'): the real keyed function, fed the victim's strings for the others.
   */
  function colliding(account: string, key: string): void {
    if ((account === 'acct-B' && key === 'key-B') || (account === 'acct-A' && key === 'key-Z')) fingerprintPair('acct-A', 'key-A');
    else fingerprintPair(account, key);
  }

  it('the injected function really collides (the test is not vacuous)', () => {
    colliding('acct-A', 'key-A');
    const victim = `${fpA}:${fpB}`;
    colliding('acct-B', 'key-B');
    assert.equal(`${fpA}:${fpB}`, victim);
    colliding('acct-A', 'key-Z');
    assert.equal(`${fpA}:${fpB}`, victim);
  });

  it('another account never gets the acknowledgement, nor a 409, and cannot evict it', () => {
    let calls = 0;
    const w = new IdempotencyWindow(8, (a, k) => {
      calls++;
      colliding(a, k);
    });
    const body = '{"symbol":"AAPL","side":"BUY","type":"LIMIT","qty":1,"price":15000}';
    w.remember('acct-A', 'key-A', body, '"sess-A"', 7, 101, 5000);
    assert.ok(calls > 0, 'the window fingerprints through the injected function');
    assert.equal(w.lookup('acct-B', 'key-B', body), MISS, 'same body: no replay of A\'s order');
    assert.equal(w.lookup('acct-B', 'key-B', 'another body'), MISS, 'other body: no 409 either');
    assert.equal(w.lookup('acct-A', 'key-Z', body), MISS, 'the same account, another key: not a replay');
    // B's order runs and is remembered where it can be: A's entry stays A's
    w.remember('acct-B', 'key-B', body, '"sess-B"', 1, 202, 6000);
    const slot = w.lookup('acct-A', 'key-A', body);
    assert.ok(slot >= 0, 'A still gets its replay');
    assert.deepEqual([w.sessionIdJson(slot), w.sessionSeq(slot), w.orderNo(slot)], ['"sess-A"', 7, 101]);
    assert.equal(w.lookup('acct-A', 'key-A', 'another body'), CONFLICT, 'A\'s own conflict is still detected');
  });
});

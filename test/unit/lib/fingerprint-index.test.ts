import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FingerprintIndex, fingerprintNumbered, fingerprintPair, fpA, fpB } from '../../../src/lib/fingerprint-index.js';

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fingerprint index', () => {
  it('agrees with a Map under random inserts, overwrites and deletes (with forced collisions)', () => {
    const idx = new FingerprintIndex(512); // 1024 slots
    const model = new Map<string, number>();
    const r = rng(7);
    for (let step = 0; step < 50_000; step++) {
      // few distinct home slots: long probe runs, wrap-around and backward shifts get exercised
      const a = (Math.floor(r() * 64) * 16 + 1000) >>> 0;
      const b = Math.floor(r() * 8);
      const k = `${a}:${b}`;
      const op = r();
      if (op < 0.3 && (model.size < 500 || model.has(k))) {
        idx.set(a, b, step);
        model.set(k, step);
      } else if (op < 0.5 && (model.size < 500 || model.has(k))) {
        assert.equal(idx.swap(a, b, step), model.get(k) ?? -1);
        model.set(k, step);
      } else if (op < 0.7) {
        assert.equal(idx.delete(a, b), model.delete(k));
      } else if (op < 0.8) {
        const v = model.get(k);
        const want = v !== undefined && op < 0.75 ? v : step + 1;
        assert.equal(idx.deleteIf(a, b, want), v === want);
        if (v === want) model.delete(k);
      } else {
        assert.equal(idx.get(a, b), model.get(k) ?? -1);
      }
      assert.equal(idx.size, model.size);
    }
    for (const [k, v] of model) {
      const [a, b] = k.split(':').map(Number);
      assert.equal(idx.get(a!, b!), v);
    }
    const bigger = new FingerprintIndex(2048);
    idx.copyInto(bigger);
    assert.equal(bigger.size, model.size);
    for (const [k, v] of model) {
      const [a, b] = k.split(':').map(Number);
      assert.equal(bigger.get(a!, b!), v, 'copyInto keeps every entry');
    }
  });

  it('fingerprints distinguish the parts of a pair and the number of a numbered key', () => {
    fingerprintPair('ab', 'c');
    const x = [fpA, fpB];
    fingerprintPair('a', 'bc');
    assert.notDeepEqual([fpA, fpB], x);
    fingerprintNumbered('s', 1);
    const y = [fpA, fpB];
    fingerprintNumbered('s', 2);
    assert.notDeepEqual([fpA, fpB], y);
    fingerprintNumbered('s', 2 ** 32 + 1);
    assert.notDeepEqual([fpA, fpB], y, 'the high half of the number counts');
  });
});

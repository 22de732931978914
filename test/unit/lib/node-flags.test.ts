import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GATEWAY_NODE_FLAGS } from '../../../src/lib/node-flags.js';

describe('gateway node flags', () => {
  it('npm start runs the gateway with the flags the benchmarks use', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, `node ${GATEWAY_NODE_FLAGS.join(' ')} dist/src/main.js`);
  });
});

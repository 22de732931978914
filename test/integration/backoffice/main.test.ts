/**
 * The compiled entry point (npm run backoffice): ready line with the port, a configuration error
 * exits 2 naming the variable, SIGTERM and the loss of the parent's IPC channel stop it with exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { getJson, ROOT, SECRET, startBackofficeProcess, tempDir } from './helpers.js';

const MAIN = join(ROOT, 'dist', 'src', 'backoffice', 'main.js');

describe('npm run backoffice (dist/src/backoffice/main.js)', () => {
  it('refuses a bad setting with exit code 2 and the variable named', async () => {
    const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, BACKOFFICE_FEE_BPS: 'lots' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => proc.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, /BACKOFFICE_FEE_BPS/);
  });

  it('prints a ready line, serves, and exits 0 on SIGTERM', async () => {
    const dir = tempDir('sy-bo-main-');
    try {
      const bo = await startBackofficeProcess({ GATEWAY_DATA_DIR: dir.path, BACKOFFICE_GATEWAY_URL: 'http://127.0.0.1:9' });
      const ready = JSON.parse(bo.output.find((l) => l.includes('"msg":"ready"'))!);
      assert.deepEqual(Object.keys(ready), ['msg', 'service', 'httpPort']);
      assert.equal((await getJson(bo.base, '/health')).json.storage, 'pglite');
      assert.equal(await bo.stop(), 0);
    } finally {
      dir.remove();
    }
  });

  it('stops with exit 0 when the parent that started it with an IPC channel goes away', async () => {
    const dir = tempDir('sy-bo-main-');
    try {
      const proc = spawn(process.execPath, [MAIN], {
        env: { PATH: process.env.PATH, BACKOFFICE_PORT: '0', BACKOFFICE_HOST: '127.0.0.1', JWT_HS256_SECRET: SECRET, LOG_LEVEL: 'warn', GATEWAY_DATA_DIR: dir.path, BACKOFFICE_GATEWAY_URL: 'http://127.0.0.1:9' },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      const exited = new Promise<number | null>((r) => proc.once('exit', r));
      await new Promise<void>((resolve) => createInterface({ input: proc.stdout! }).on('line', (l) => l.includes('"msg":"ready"') && resolve()));
      proc.disconnect();
      assert.equal(await exited, 0);
    } finally {
      dir.remove();
    }
  });
});

/**
 * Schema migrations, run at every start with node-pg-migrate against the same node-postgres
 * client the books use: a PostgreSQL connection, or PGlite through its node-postgres adapter
 * (`@electric-sql/pglite/node-postgres`), so both databases get the same SQL files in the same
 * order, recorded in `backoffice_migrations`. A concurrent start waits on node-pg-migrate's
 * advisory lock instead of failing.
 *
 * The migrations are plain SQL files in src/backoffice/storage/migrations/ (tsc does not copy
 * them; the compiled code reads them from src/).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';
import { storageError } from './errors.js';

const here = dirname(fileURLToPath(import.meta.url));
/** src/backoffice/storage/migrations, from src/ (tsx) or from dist/src/ (compiled). */
export const MIGRATIONS_DIR = ((): string => {
  const local = join(here, 'migrations');
  if (existsSync(local)) return local;
  const repo = resolve(here, '..', '..', '..', '..');
  return basename(resolve(here, '..', '..', '..')) === 'dist' ? join(repo, 'src', 'backoffice', 'storage', 'migrations') : local;
})();

export const MIGRATIONS_TABLE = 'backoffice_migrations';

/** Applies the pending migrations; returns their names. */
export async function migrate(pool: pg.Pool, log: Logger): Promise<string[]> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw storageError('migrate', err);
  }
  try {
    const done = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: MIGRATIONS_TABLE,
      singleTransaction: true,
      checkOrder: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (m: string) => log.debug({ migrate: m }, 'migration'),
        info: (m: string) => log.debug({ migrate: m }, 'migration'),
        warn: (m: string) => log.warn({ migrate: m }, 'migration'),
        error: (m: string) => log.error({ migrate: m }, 'migration'),
      },
    });
    return done.map((m) => m.name);
  } catch (err) {
    throw storageError('migrate', err);
  } finally {
    client.release();
  }
}

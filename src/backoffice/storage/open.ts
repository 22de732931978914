/**
 * Opens the books: PostgreSQL through a node-postgres pool when BACKOFFICE_DATABASE_URL is set,
 * else PGlite (PostgreSQL compiled to WebAssembly, in this process) in
 * `<GATEWAY_DATA_DIR>/backoffice/pglite`, reached through PGlite's node-postgres adapter so the
 * rest of the back office cannot tell them apart. Then runs the migrations.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import type { StorageConfig } from '../config.js';
import { Books } from './books.js';
import { type DirLock, lockDir } from './dir-lock.js';
import { storageError } from './errors.js';
import { migrate } from './migrate.js';

/** Pool size with PostgreSQL: the writer's connection, its lock, and readers for the API. */
const PG_POOL_MAX = 4;

export interface OpenBooks {
  books: Books;
  /** names of the migrations this start applied */
  migrated: string[];
  /** the node-postgres pool behind the books (raw SQL for tools such as the benchmark) */
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openBooks(cfg: StorageConfig, log: Logger): Promise<OpenBooks> {
  if (cfg.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: cfg.url, max: PG_POOL_MAX });
    // An idle connection that breaks (server restart) must not crash the process.
    pool.on('error', (err) => log.warn({ err: err.message }, 'back office: PostgreSQL connection lost'));
    try {
      const migrated = await migrate(pool, log);
      const books = new Books(pool, 'postgres');
      return { books, migrated, pool, close: () => books.close() };
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  mkdirSync(dirname(cfg.dir), { recursive: true });
  const lock: DirLock = lockDir(cfg.dir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(cfg.dir);
  } catch (err) {
    lock.release();
    throw storageError(`PGlite in ${cfg.dir}`, err);
  }
  const pool = new pg.Pool({ ...(createPgConfig(db) as unknown as pg.PoolConfig), max: 1 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'back office: PGlite connection error'));
  const closeAll = async (): Promise<void> => {
    await pool.end().catch(() => {});
    await db!.close().catch(() => {});
    lock.release();
  };
  try {
    const migrated = await migrate(pool, log);
    const books = new Books(pool, 'pglite');
    return {
      books,
      migrated,
      pool,
      close: async () => {
        await books.close().catch(() => {});
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

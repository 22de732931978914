/**
 * HMAC keys of the journal's audit chain.
 *
 * Configured keys (AUDIT_HMAC_KEYS / AUDIT_HMAC_KEY, AUDIT_KEY_ID) win. Without any, the gateway
 * does not run unchained: it generates a 256-bit key once, keeps it in
 * `<GATEWAY_DATA_DIR>/audit-hmac.key` (mode 0600, in the AUDIT_HMAC_KEYS syntax, so the file's
 * content can be handed to `journal-verify --keys-env`), and says so at start-up. A key file left
 * by an earlier run is always loaded, so records it chained stay verifiable after keys are
 * configured.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { DurableConfig } from '../config/durable.js';
import { parseKeySpec } from '../lib/key-spec.js';

export interface JournalKeySet {
  keys: Map<string, Buffer>;
  activeKeyId: string;
  /** true when the active key is the generated one */
  generated: boolean;
}

async function readKeyFile(path: string): Promise<Map<string, Buffer> | null> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return parseKeySpec(text.trim());
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** Creates the key file atomically (complete content or nothing); EEXIST if it exists. */
async function writeKeyFile(path: string, id: string, secret: Buffer): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${id}:base64:${secret.toString('base64')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.link(tmp, path);
  } finally {
    await fsp.unlink(tmp).catch(() => {});
  }
  const dh = await fsp.open(dirname(path), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Resolves the key set for the journal, generating and persisting a key when none is configured. */
export async function loadJournalKeys(cfg: DurableConfig, log: Logger): Promise<JournalKeySet> {
  const file = cfg.generatedKeyFile;
  const fromFile = await readKeyFile(file);
  if (fromFile !== null) {
    const st = await fsp.stat(file);
    if ((st.mode & 0o077) !== 0) log.warn({ file, mode: (st.mode & 0o777).toString(8) }, 'audit key file is readable by other users; chmod 600 it');
  }
  if (cfg.keys !== null) {
    const keys = new Map(cfg.keys);
    for (const [id, secret] of fromFile ?? []) if (!keys.has(id)) keys.set(id, secret);
    return { keys, activeKeyId: cfg.activeKeyId!, generated: false };
  }
  if (fromFile !== null && fromFile.size > 0) {
    const activeKeyId = [...fromFile.keys()].pop()!;
    log.warn({ file, keyId: activeKeyId }, 'AUDIT_HMAC_KEYS is not set: chaining the journal with the generated key kept in the data directory');
    return { keys: fromFile, activeKeyId, generated: true };
  }
  const id = `local-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
  const secret = randomBytes(32);
  try {
    await writeKeyFile(file, id, secret);
  } catch (err) {
    // Another component of this start-up generated it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = await readKeyFile(file);
    if (raced === null || raced.size === 0) throw err;
    return { keys: raced, activeKeyId: [...raced.keys()].pop()!, generated: true };
  }
  log.warn(
    { file, keyId: id },
    'AUDIT_HMAC_KEYS is not set: generated an audit chain key and stored it in the data directory (mode 0600); configure AUDIT_HMAC_KEYS in production and keep a copy of this key to verify existing records',
  );
  return { keys: new Map([[id, secret]]), activeKeyId: id, generated: true };
}

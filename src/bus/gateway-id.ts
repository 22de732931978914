/**
 * The gateway id: the first part of every event id (contract/bus-event.ts `eventId`). Generated
 * once into the data directory (`<GATEWAY_DATA_DIR>/gateway-id`) and read back at every start,
 * so the ids of a journal's events never change across restarts. A copied data directory keeps
 * its id (its journals are the same journals).
 *
 * Form: `gw-` + 16 lowercase hex digits (no dots or commas: the back office splits ids on both).
 * Start-up only (synchronous file I/O).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const GATEWAY_ID_FILE = 'gateway-id';
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export class GatewayIdError extends Error {
  readonly code = 'GATEWAY_ID_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'GatewayIdError';
  }
}

/** Reads the data directory's gateway id, creating it on first use. */
export function loadGatewayId(dataDir: string): string {
  const path = join(dataDir, GATEWAY_ID_FILE);
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    if (!ID_RE.test(text)) throw new GatewayIdError(`${path} holds ${JSON.stringify(text.slice(0, 80))}: expected 1-64 of A-Z a-z 0-9 _ -`);
    return text;
  }
  const id = `gw-${randomBytes(8).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${id}\n`, { flush: true });
  renameSync(tmp, path);
  return id;
}

/**
 * The NATS publisher's checkpoint: per journal stream, the last seq whose every event JetStream
 * acknowledged (stored). A restart resumes after it; what was published after it and before the
 * crash is published again and dropped by JetStream's duplicate window (same `Nats-Msg-Id`).
 *
 * File `<GATEWAY_DATA_DIR>/bus-checkpoint.json`: `{"gatewayId":"gw-…","streams":{"orders":123,"v3-0":45}}`,
 * replaced atomically (write to a temporary file, fsync, rename). A checkpoint of another
 * gateway id (a data directory restored from elsewhere) is refused.
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const CHECKPOINT_FILE = 'bus-checkpoint.json';

export class CheckpointError extends Error {
  readonly code = 'BUS_CHECKPOINT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function checkpointPath(dataDir: string): string {
  return join(dataDir, CHECKPOINT_FILE);
}

/** Reads the checkpoint (empty when there is none yet). Start-up only. */
export function readCheckpoint(path: string, gatewayId: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  let v: { gatewayId?: unknown; streams?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new CheckpointError(`${path} is not JSON`);
  }
  if (v?.gatewayId !== gatewayId) throw new CheckpointError(`${path} belongs to gateway ${JSON.stringify(v?.gatewayId)}, this data directory is ${gatewayId}`);
  const out = new Map<string, number>();
  if (v.streams === null || typeof v.streams !== 'object') throw new CheckpointError(`${path}: streams missing`);
  for (const [k, n] of Object.entries(v.streams as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new CheckpointError(`${path}: bad seq for ${k}`);
    out.set(k, n);
  }
  return out;
}

/** Writes the checkpoint durably (temp file, fsync, rename). */
export async function writeCheckpoint(path: string, gatewayId: string, streams: ReadonlyMap<string, number>): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify({ gatewayId, streams: Object.fromEntries(streams) }) + '\n');
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

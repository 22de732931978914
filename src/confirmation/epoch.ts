/**
 * The numbering epoch of /v3 sessions. Each start of a gateway that journals /v3 orders takes the
 * next epoch, written durably (temporary file, fsync, rename, directory fsync) before it accepts
 * any order; session sequence numbers of epoch e start at e × 2^32 + 1. So a number acknowledged
 * in one run is never given to another order by a later run, even when that run crashed before
 * anything it acknowledged reached the journal.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

/** Sequence numbers of one epoch: 2^32 per session. */
export const EPOCH_SPAN = 4294967296;

const FILE = 'epoch';

/**
 * Reads `<dir>/epoch`, stores the next epoch durably and returns it. Without the file: 0 for a
 * fresh directory, 1 when journals already hold orders (numbered before epochs were kept).
 */
export async function nextEpoch(dir: string, journalsHoldOrders: boolean): Promise<number> {
  await fsp.mkdir(dir, { recursive: true });
  const path = join(dir, FILE);
  let prev = -1;
  try {
    const text = (await fsp.readFile(path, 'utf8')).trim();
    if (!/^\d{1,7}$/.test(text)) throw new Error(`${path}: not an epoch number: ${JSON.stringify(text.slice(0, 40))}`);
    prev = Number(text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (journalsHoldOrders) prev = 0;
  }
  const next = prev + 1;
  if (next * EPOCH_SPAN > Number.MAX_SAFE_INTEGER) throw new Error(`${path}: epoch ${next} exceeds the numbering range`);
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${next}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return next;
}

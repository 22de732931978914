/**
 * Snapshots: opaque state blobs tagged with the journal seq they include, so recovery can load
 * the newest snapshot and replay only the records after it.
 *
 * File `snapshot-<seq as 20 digits>.snap`:
 *   0  u8[4] magic "SWSN"
 *   4  u16   version (1)
 *   6  u16   header length (32)
 *   8  u64   seq (last journal seq reflected in the state)
 *   16 u64   payload length
 *   24 u32   CRC-32C of the payload
 *   28 u32   CRC-32C of bytes [0, 28)
 *   32 ...   payload
 *
 * Writes are atomic: the file is written under a temporary name, fsynced, renamed into place,
 * and the directory is fsynced. A crash leaves either the previous set of snapshots or the new
 * one (plus possibly an ignored temporary file). One directory should have one snapshot writer
 * at a time (the same single-writer rule as the journal).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { crc32c } from './crc32c.js';
import { getU16, getU32, getU64, putU16, putU32, putU64 } from '@switchyard/protocol';

const MAGIC = 0x4e535753; // "SWSN" as a little-endian u32
const VERSION = 1;
const HEADER_BYTES = 32;
const NAME_RE = /^snapshot-(\d{20})\.snap$/;
const TMP_RE = /^\.snapshot-\d{20}\.(\d+)-(\d+)-\d+\.tmp$/;

let tmpCounter = 0;

export interface Snapshot {
  seq: number;
  bytes: Buffer;
}

export interface WriteSnapshotOptions {
  /** Snapshots to keep, newest first, including the one just written (default 2, min 1). */
  keep?: number;
}

export function snapshotName(seq: number): string {
  return `snapshot-${String(seq).padStart(20, '0')}.snap`;
}

/**
 * Atomically writes a snapshot of the state as of journal seq `seq`, then deletes snapshots
 * beyond the newest `keep` (and temporary files left by a crashed earlier process). Creates
 * `dir` if needed. Resolves once the snapshot is durable.
 */
export async function writeSnapshot(
  dir: string,
  seq: number,
  bytes: Uint8Array,
  opts: WriteSnapshotOptions = {},
): Promise<void> {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`snapshot seq must be a non-negative integer, got ${seq}`);
  const keep = Math.max(1, opts.keep ?? 2);
  await fsp.mkdir(dir, { recursive: true });

  const header = Buffer.alloc(HEADER_BYTES);
  putU32(header, 0, MAGIC);
  putU16(header, 4, VERSION);
  putU16(header, 6, HEADER_BYTES);
  putU64(header, 8, seq);
  putU64(header, 16, bytes.length);
  putU32(header, 24, crc32c(bytes));
  putU32(header, 28, crc32c(header, 0, 28));

  const finalName = snapshotName(seq);
  const tmpName = `.snapshot-${String(seq).padStart(20, '0')}.${process.pid}-${threadId}-${++tmpCounter}.tmp`;
  const tmpPath = join(dir, tmpName);
  const fh = await fsp.open(tmpPath, 'wx');
  try {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const { bytesWritten } = await fh.writev([header, body], 0);
    const total = HEADER_BYTES + body.length;
    // A short writev is unusual for regular files but allowed: finish with plain writes.
    for (let done = bytesWritten; done < total; ) {
      const from = done - HEADER_BYTES;
      const { bytesWritten: n } =
        from < 0
          ? await fh.write(header, done, HEADER_BYTES - done, done)
          : await fh.write(body, from, body.length - from, done);
      if (n <= 0) throw new Error(`snapshot write made no progress (${tmpName})`);
      done += n;
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.unlink(tmpPath).catch(() => {});
    throw err;
  }
  await fh.close();
  await fsp.rename(tmpPath, join(dir, finalName));
  await syncDir(dir);
  await prune(dir, keep);
}

/**
 * Loads the newest valid snapshot of `dir`, or null when there is none (or no directory).
 * A snapshot that fails its checks (truncated, bad CRC) is skipped in favour of the next older
 * one; `onInvalid` is told about each skipped file.
 */
export async function loadLatestSnapshot(
  dir: string,
  onInvalid?: (file: string, reason: string) => void,
): Promise<Snapshot | null> {
  for (const { name, seq } of await listSnapshots(dir)) {
    let data: Buffer;
    try {
      data = await fsp.readFile(join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const reason = checkSnapshot(data, seq);
    if (reason === null) return { seq, bytes: data.subarray(HEADER_BYTES) };
    onInvalid?.(name, reason);
  }
  return null;
}

/** Snapshot files of `dir`, newest (highest seq) first. */
export async function listSnapshots(dir: string): Promise<Array<{ name: string; seq: number }>> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ name: string; seq: number }> = [];
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (m !== null) out.push({ name, seq: Number(m[1]) });
  }
  out.sort((a, b) => b.seq - a.seq);
  return out;
}

function checkSnapshot(data: Buffer, seq: number): string | null {
  if (data.length < HEADER_BYTES) return 'truncated header';
  if (getU32(data, 0) !== MAGIC) return 'bad magic';
  if (getU32(data, 28) !== crc32c(data, 0, 28)) return 'header checksum mismatch';
  if (getU16(data, 4) !== VERSION || getU16(data, 6) !== HEADER_BYTES) return 'unsupported version';
  if (getU64(data, 8) !== seq) return 'seq does not match the file name';
  if (getU64(data, 16) !== data.length - HEADER_BYTES) return 'length mismatch (truncated?)';
  if (getU32(data, 24) !== crc32c(data, HEADER_BYTES)) return 'payload checksum mismatch';
  return null;
}

async function prune(dir: string, keep: number): Promise<void> {
  const snaps = await listSnapshots(dir);
  let removed = false;
  for (const s of snaps.slice(keep)) {
    await fsp.unlink(join(dir, s.name)).catch(() => {});
    removed = true;
  }
  // Temporary files of another (dead) process; ours may belong to a concurrent call.
  for (const name of await fsp.readdir(dir)) {
    const m = TMP_RE.exec(name);
    if (m !== null && Number(m[1]) !== process.pid) {
      await fsp.unlink(join(dir, name)).catch(() => {});
      removed = true;
    }
  }
  if (removed) await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

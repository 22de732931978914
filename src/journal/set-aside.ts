/**
 * Setting cut bytes aside. When the writer opens a journal whose newest segment ends in a torn
 * write, the bytes it cuts were never acknowledged, but they are evidence (of what the crash
 * left, or of a misclassification): they are never deleted. They go to a side file next to the
 * segment, made durable before the segment is truncated:
 *
 *   <segment>.torn-<offset>-<epoch ms>        e.g. 00000000000000000001.seg.torn-8960-1767225600000
 *
 * A whole segment file (a torn segment creation) is renamed to that name with offset 0. Side
 * files do not match the segment name pattern, so readers and the writer ignore them; operators
 * may inspect and delete them.
 *
 * Called during open only (I/O at the edge; the clock is the caller's `nowMs`).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);
const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);
const fsyncAsync = promisify(fs.fsync);

/** Side file name for bytes cut at `offset` of `segment` at `nowMs`. */
export function sideFileName(segment: string, offset: number, nowMs: number): string {
  return `${segment}.torn-${offset}-${nowMs}`;
}

/** Creates a side file that does not exist yet (a suffix is added if the name is taken). */
async function createExclusive(dir: string, name: string): Promise<{ fd: number; path: string }> {
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, attempt === 0 ? name : `${name}-${attempt}`);
    try {
      return { fd: await openAsync(path, 'wx', 0o644), path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw err;
    }
  }
}

/**
 * Copies bytes [from, to) of the open segment `segFd` into a new side file in `dir` and makes it
 * durable (file fsync, then the directory's, `dirFd`). Returns the side file's path. The caller
 * truncates the segment afterwards.
 */
export async function copyAside(dir: string, dirFd: number, segment: string, segFd: number, from: number, to: number, nowMs: number): Promise<string> {
  const { fd, path } = await createExclusive(dir, sideFileName(segment, from, nowMs));
  try {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, to - from)));
    let pos = from;
    while (pos < to) {
      const { bytesRead } = await readAsync(segFd, buf, 0, Math.min(buf.length, to - pos), pos);
      if (bytesRead === 0) break; // the file is shorter than it was: copy what there is
      let off = 0;
      while (off < bytesRead) {
        const { bytesWritten } = await writeAsync(fd, buf, off, bytesRead - off, pos - from + off);
        off += bytesWritten;
      }
      pos += bytesRead;
    }
    await fsyncAsync(fd);
  } finally {
    await closeAsync(fd);
  }
  await fsyncAsync(dirFd);
  return path;
}

/**
 * Moves the whole segment file `segment` of `dir` aside (rename to its side file name with offset
 * 0) and makes the rename durable. Returns the side file's path.
 */
export async function moveAside(dir: string, dirFd: number, segment: string, nowMs: number): Promise<string> {
  const name = sideFileName(segment, 0, nowMs);
  let path = join(dir, name);
  for (let attempt = 1; (await exists(path)) && attempt <= 100; attempt++) path = join(dir, `${name}-${attempt}`);
  await fs.promises.rename(join(dir, segment), path);
  await fsyncAsync(dirFd);
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.promises.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * A lock file beside the PGlite data directory (`<dir>.lock`, holding the owner's pid). PGlite
 * does not stop a second process from opening the same directory, and two writers would corrupt
 * it. A lock whose pid is no longer alive (a process killed with -9) is stale and taken over.
 *
 * Synchronous file-system calls, once at start and once at stop.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { StorageError } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DirLock {
  release(): void;
}

export function lockDir(dir: string): DirLock {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageError('FAILED', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // vanished meanwhile: try again
      }
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
        throw new StorageError('LOCKED', `${dir} is in use by process ${pid} (another back office); remove ${path} if that is wrong`);
      }
      try {
        unlinkSync(path);
      } catch {
        // someone else removed it
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return {
      release() {
        try {
          if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new StorageError('LOCKED', `cannot take ${path}`);
}

/**
 * Journal-file surgery for the recovery and integrity tests: list a journal directory's
 * segments, read and overwrite bytes in place, and find the records of a segment (each starts
 * with its u32 total length, after the 64-byte segment header).
 */
import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The segment files of a journal directory, oldest first. */
export function segments(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads `len` bytes at `pos` of a file. */
export function readAt(path: string, pos: number, len: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(len);
    readSync(fd, b, 0, len, pos);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Overwrites the bytes at `pos` of a file. */
export function writeAt(path: string, pos: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, pos);
  } finally {
    closeSync(fd);
  }
}

/** Offsets of the records of a segment. */
export function recordOffsets(path: string): number[] {
  const size = statSync(path).size;
  const out: number[] = [];
  for (let pos = 64; pos + 4 <= size; pos += readAt(path, pos, 4).readUInt32LE(0)) out.push(pos);
  return out;
}

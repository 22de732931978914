/**
 * Little-endian integer and ASCII field access on byte arrays, shared by every binary format of
 * Switchyard: this protocol's frames, the journal's records and the ingress ring's slots.
 *
 * Plain index arithmetic: several times faster than the Buffer read and write methods and
 * DataView for the small unaligned fields of a frame, and free of bounds-check exceptions (callers
 * check bounds once per frame or record). Numbers are JS numbers; 64-bit values must lie within
 * ±(2^53 − 1), except through the bigint accessors.
 */
const TWO_32 = 4294967296;
/** Largest high word of a u64 whose value is still a safe integer. */
const MAX_SAFE_HI = 0x1fffff;

export function getU16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

export function getU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

export function getI32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

/** Reads a u64 as a number; returns -1 when it exceeds 2^53 − 1. */
export function getU64(b: Uint8Array, p: number): number {
  const hi = getU32(b, p + 4);
  if (hi > MAX_SAFE_HI) return -1;
  return hi * TWO_32 + getU32(b, p);
}

/** Reads an i64 as a number; returns NaN when it lies outside ±(2^53 − 1). */
export function getI64(b: Uint8Array, p: number): number {
  const v = getI32(b, p + 4) * TWO_32 + getU32(b, p);
  return Number.isSafeInteger(v) ? v : NaN;
}

export function putU16(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
}

export function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

export function putU64(b: Uint8Array, p: number, v: number): void {
  putU32(b, p, v >>> 0);
  putU32(b, p + 4, Math.floor(v / TWO_32));
}

/** Two's complement: the low word is v mod 2^32 and the high word floor(v / 2^32), both as 32-bit patterns. */
export function putI64(b: Uint8Array, p: number, v: number): void {
  putU32(b, p, v >>> 0);
  putU32(b, p + 4, Math.floor(v / TWO_32) | 0);
}

// Full-range u64 (bigint) through a DataView, cached for the last ArrayBuffer seen.
let viewOf: ArrayBufferLike | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

function dataView(b: Uint8Array): DataView<ArrayBufferLike> {
  if (b.buffer !== viewOf) {
    viewOf = b.buffer;
    view = new DataView(b.buffer);
  }
  return view;
}

export function putBigU64(b: Uint8Array, p: number, v: bigint): void {
  dataView(b).setBigUint64(b.byteOffset + p, v, true);
}

export function getBigU64(b: Uint8Array, p: number): bigint {
  return dataView(b).getBigUint64(b.byteOffset + p, true);
}

/** Writes `n` characters of an ASCII string (already validated) byte by byte. */
export function putAscii(b: Uint8Array, p: number, s: string, n: number): void {
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
}

/** Reads bytes [start, end) as a latin1 string; short fields are built without a slice. */
export function getAscii(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
}

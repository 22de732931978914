/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven with "slicing by 8".
 *
 * Used for the record and segment-header checksums of the journal and for snapshot files. It
 * detects torn or partial writes and random corruption; it is NOT a tamper-evidence mechanism
 * (that is the HMAC chain's job), since anyone can recompute it.
 *
 * Check value: crc32c("123456789") === 0xE3069283.
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries: T[k*256 + b] is the CRC of byte b followed by k zero bytes. */
const T = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * CRC-32C of `buf[start, end)`. Pass a previous result as `seed` to continue a running CRC over
 * several pieces (crc32c(a ++ b) === crc32c(b, 0, b.length, crc32c(a))).
 * Returns an unsigned 32-bit integer.
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const t = T;
  let crc = ~seed;
  let i = start;
  // Slicing-by-8 main loop: consume 8 bytes per iteration.
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
    i += 8;
  }
  while (i < end) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * The routing record (ROUTED_RECORD_TYPE): which /v3 and binary TCP orders of one shard were sent
 * to which venue in one routing pass. Binary, little-endian:
 *
 *   u8 version (1) | u16 shard | u8 venueCount | venueCount × (u8 length | ASCII name)
 *   | u32 count | count × (f64 orderNo | u8 venue index)
 *
 * The orders' contents are in their shard journals; this record only says they went out.
 */
import { getU16, getU32, putU16, putU32 } from '@switchyard/protocol';

const VERSION = 1;

export interface RoutedBatch {
  shard: number;
  venues: string[];
  orderNos: number[];
  /** per order, its index in `venues` */
  venueOf: number[];
}

export function encodeRouted(b: RoutedBatch): Buffer {
  let size = 1 + 2 + 1 + 4 + b.orderNos.length * 9;
  for (const v of b.venues) size += 1 + v.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = VERSION;
  putU16(out, 1, b.shard);
  out[3] = b.venues.length;
  let p = 4;
  for (const v of b.venues) {
    out[p++] = v.length;
    p += out.write(v, p, 'latin1');
  }
  putU32(out, p, b.orderNos.length);
  p += 4;
  for (let i = 0; i < b.orderNos.length; i++) {
    out.writeDoubleLE(b.orderNos[i]!, p);
    out[p + 8] = b.venueOf[i]!;
    p += 9;
  }
  return out;
}

/** Decodes a routing record; null when it is not one this version writes. */
export function decodeRouted(b: Buffer): RoutedBatch | null {
  if (b.length < 8 || b[0] !== VERSION) return null;
  const shard = getU16(b, 1);
  const n = b[3]!;
  let p = 4;
  const venues: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = b[p++]!;
    if (p + len > b.length) return null;
    venues.push(b.toString('latin1', p, p + len));
    p += len;
  }
  if (p + 4 > b.length) return null;
  const count = getU32(b, p);
  p += 4;
  if (p + count * 9 !== b.length) return null;
  const orderNos: number[] = new Array<number>(count);
  const venueOf: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    orderNos[i] = b.readDoubleLE(p);
    venueOf[i] = b[p + 8]!;
    p += 9;
  }
  return { shard, venues, orderNos, venueOf };
}

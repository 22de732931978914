/**
 * Duplicate member names in a JSON object body.
 *
 * `JSON.parse` keeps the last of two members with the same name, so `{"side":"BUY",...,
 * "side":"SELL"}` would run as SELL. RFC 8259 leaves duplicates to the implementation; the order
 * contract refuses them (DUPLICATE_FIELD). The check runs on every order, after `JSON.parse` and
 * the schema have accepted the text, so it only has to be right for valid JSON whose top-level
 * value is an object, and it must be cheap. It allocates nothing on the common path:
 *
 *  - first the `:` characters are counted (native `indexOf`): with no more colons than the parsed
 *    object has keys, no name can occur twice, and that is the answer for almost every order;
 *  - otherwise one pass over the characters reads the member names of the top-level object,
 *    identifies each by a hash computed as it is read (a table of the schema's names,
 *    {@link KnownKeys}), and keeps the names seen as one bit each in an integer. Only names of
 *    the set count: the schemas that use this refuse every other name (`additionalProperties:
 *    false`), and a member nested inside a value is not a member of the top-level object;
 *  - a name written with escapes (`"\u0073ide"`) is decoded (JSON.parse of that one string, off
 *    the common path) before it is looked up, so it is the same name as `"side"`.
 *
 * Measured with `npm run bench:json-duplicates` (the README's order body, interleaved rounds,
 * medians, on a shared 2-core VM): parse + schema + conversion 685 ns without the check, 716 ns
 * with it (+4.5 %); the check alone 58 ns; the full scan (a body with a colon in a value) about
 * 190-370 ns.
 *
 * Pure, no state: safe on any thread.
 */

/** Hash of a member name as the scan computes it, one character at a time (FNV-1a steps). */
function nameHash(s: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), HASH_PRIME);
  return h;
}
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

/**
 * The member names a schema allows, prepared for the scan (at most 31 names: one bit each): an
 * open-addressing table from (name hash, length) to the name's index, sized so that the names
 * do not share a slot.
 */
export class KnownKeys {
  readonly names: readonly string[];
  private readonly mask: number;
  private readonly slotHash: Int32Array;
  private readonly slotLength: Int32Array;
  private readonly slotIndex: Int8Array;

  constructor(names: readonly string[]) {
    if (names.length === 0 || names.length > 31) throw new RangeError('KnownKeys holds 1..31 names');
    if (new Set(names).size !== names.length) throw new RangeError('KnownKeys names must be distinct');
    this.names = [...names];
    const hashes = names.map(nameHash);
    for (let size = 32; ; size <<= 1) {
      if (size > 1 << 16) throw new RangeError('KnownKeys: two names have the same hash');
      const slots = new Set(hashes.map((h) => h & (size - 1)));
      if (slots.size < names.length) continue;
      this.mask = size - 1;
      this.slotHash = new Int32Array(size);
      this.slotLength = new Int32Array(size).fill(-1);
      this.slotIndex = new Int8Array(size).fill(-1);
      hashes.forEach((h, k) => {
        const slot = h & (size - 1);
        this.slotHash[slot] = h;
        this.slotLength[slot] = names[k]!.length;
        this.slotIndex[slot] = k;
      });
      return;
    }
  }

  /**
   * Index of the name with this hash and length, or -1. Unknown names are not compared
   * character by character: one with the hash and length of a known name would be taken for
   * it, which can only turn into a false DUPLICATE_FIELD, never a duplicate missed; and the
   * callers' schemas refuse every unknown name before the scan anyway.
   */
  find(hash: number, length: number): number {
    const slot = hash & this.mask;
    return this.slotHash[slot] === hash && this.slotLength[slot] === length ? this.slotIndex[slot]! : -1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Index (in `keys.names`) of the first name of `keys` that occurs twice among the members of the
 * top-level object of `text`, or -1 when none does.
 *
 * Preconditions: `text` is valid JSON whose top-level value is an object (JSON.parse accepted
 * it), and `members` is the number of own keys of that parsed object. For any other input the
 * answer is unspecified (but the scan ends and never throws).
 *
 * First a count of the `:` characters, with `indexOf` (native code): each member of the text
 * writes one outside any string, so when there are no more colons than the parsed object has
 * keys, no name can be there twice. Only when there are more (a duplicate, a colon inside a
 * string value, a nested object) does {@link scan} look at the names. Measured on the README's
 * order body (bench/json-duplicates.ts, medians): the count 55 ns, the scan 190 ns.
 */
export function duplicateKey(text: string, keys: KnownKeys, members: number): number {
  let colons = 0;
  let at = text.indexOf(':');
  while (at >= 0) {
    if (++colons > members) return scan(text, keys);
    at = text.indexOf(':', at + 1);
  }
  return -1;
}

/**
 * The scan proper: one charCodeAt pass; a member name of the top-level object is hashed as it
 * is read and identified by one table probe (comparing it with the names character by character
 * doubled the scan's cost), and other strings are skipped by the same loop (`indexOf('"')` per
 * string was slower than the loop on bodies of this size).
 */
function scan(text: string, keys: KnownKeys): number {
  const n = text.length;
  let depth = 0;
  let expectName = false;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      if (expectName && depth === 1) {
        // a member name: hash it while looking for its end
        expectName = false;
        let h = HASH_SEED;
        let escaped = false;
        for (; j < n; j++) {
          const d = text.charCodeAt(j);
          if (d === QUOTE) break;
          if (d === BACKSLASH) {
            escaped = true;
            j++;
          } else {
            h = Math.imul(h ^ d, HASH_PRIME);
          }
        }
        const k = escaped ? decodedIndex(text, i, j, keys) : keys.find(h, j - i - 1);
        if (k >= 0) {
          const bit = 1 << k;
          if ((seen & bit) !== 0) return k;
          seen |= bit;
        }
      } else {
        for (; j < n; j++) {
          const d = text.charCodeAt(j);
          if (d === QUOTE) break;
          if (d === BACKSLASH) j++;
        }
      }
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      // a member name follows `{` of the top-level object (and `,` inside it)
      if (depth === 1) expectName = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      expectName = true;
    }
  }
  return -1;
}

/** The index of the name written with escapes at `text[quote, closingQuote]`, or -1. */
function decodedIndex(text: string, quote: number, closingQuote: number, keys: KnownKeys): number {
  let name: unknown;
  try {
    name = JSON.parse(text.slice(quote, closingQuote + 1));
  } catch {
    return -1;
  }
  return typeof name === 'string' ? keys.names.indexOf(name) : -1;
}

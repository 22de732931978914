/**
 * Parsing of HMAC key lists in the original gateway's `AUDIT_HMAC_KEYS` syntax:
 * `id1:secret,id2:base64:AAAA...` — a comma-separated list of `id:value`; a value starting
 * with `base64:` is base64-decoded, any other value is taken as its UTF-8 bytes.
 */

/** Parses a key list; throws a descriptive Error for an empty id, empty secret or duplicate id. */
export function parseKeySpec(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    if (colon <= 0) throw new Error(`key entry must be "id:secret" or "id:base64:...", got ${JSON.stringify(redact(item))}`);
    const id = item.slice(0, colon);
    const value = item.slice(colon + 1);
    let secret: Buffer;
    if (value.startsWith('base64:')) {
      const b64 = value.slice('base64:'.length);
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new Error(`key ${JSON.stringify(id)}: invalid base64`);
      secret = Buffer.from(b64, 'base64');
    } else {
      secret = Buffer.from(value, 'utf8');
    }
    if (secret.length === 0) throw new Error(`key ${JSON.stringify(id)}: empty secret`);
    if (keys.has(id)) throw new Error(`key ${JSON.stringify(id)} is listed twice`);
    keys.set(id, secret);
  }
  return keys;
}

/** Keeps error messages free of secrets. */
function redact(item: string): string {
  const colon = item.indexOf(':');
  return colon < 0 ? '<malformed>' : `${item.slice(0, colon)}:<redacted>`;
}

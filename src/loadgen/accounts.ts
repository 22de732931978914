/**
 * Accounts and tokens for the load generator. `--accounts N` means accounts `lg-1` … `lg-N`;
 * `--accounts a,b,c` names them. Tokens are HS256 JWTs minted with the gateway's secret, with
 * `sub` and `accountId` set to the account (and JWT_ISSUER / JWT_AUDIENCE when given).
 */
import { SignJWT } from 'jose';

/** Account ids from a count ("8") or a comma-separated list ("acct-a,acct-b"). */
export function parseAccounts(spec: string): string[] {
  const t = spec.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > 100_000) throw new RangeError(`--accounts count must be in [1, 100000], got ${t}`);
    return Array.from({ length: n }, (_, i) => `lg-${i + 1}`);
  }
  const ids = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new RangeError('--accounts is empty');
  return ids;
}

export interface MintOptions {
  secret: string;
  /** token lifetime in seconds */
  ttlSec: number;
  issuer?: string;
  audience?: string;
}

/** One HS256 token per account. */
export async function mintTokens(accounts: string[], o: MintOptions): Promise<string[]> {
  const key = new TextEncoder().encode(o.secret);
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    accounts.map((id) => {
      let jwt = new SignJWT({ accountId: id })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(id)
        .setIssuedAt(now)
        .setExpirationTime(now + o.ttlSec);
      if (o.issuer) jwt = jwt.setIssuer(o.issuer);
      if (o.audience) jwt = jwt.setAudience(o.audience);
      return jwt.sign(key);
    }),
  );
}

/** Minting HS256 tokens for accounts: used by the token CLI, the demo token at start-up and tests. */
import { SignJWT } from 'jose';

export interface TokenRequest {
  secret: string;
  accountId: string;
  /** JWT `sub`; becomes the session id. Defaults to the account id. */
  sub?: string;
  roles?: string[];
  ttlSec?: number;
  issuer?: string;
  audience?: string;
}

export async function mintToken(req: TokenRequest): Promise<string> {
  const claims: Record<string, unknown> = { accountId: req.accountId };
  if (req.roles && req.roles.length > 0) claims.roles = req.roles;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(req.sub ?? req.accountId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (req.ttlSec ?? 86_400));
  if (req.issuer) jwt = jwt.setIssuer(req.issuer);
  if (req.audience) jwt = jwt.setAudience(req.audience);
  return jwt.sign(new TextEncoder().encode(req.secret));
}

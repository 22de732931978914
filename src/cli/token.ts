#!/usr/bin/env node
/**
 * Mints a bearer token for an account.
 *
 *   npm run token -- --account acct-1 [--sub strat-7] [--admin] [--ttl 3600] [--secret S]
 *
 * The secret defaults to JWT_HS256_SECRET; JWT_ISSUER and JWT_AUDIENCE are honoured.
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../auth/token.js';

const usage = 'usage: npm run token -- --account <id> [--sub <session>] [--admin] [--role R]... [--ttl <sec>] [--secret <s>]';

function parse() {
  try {
    return parseArgs({
      options: {
        account: { type: 'string', short: 'a' },
        sub: { type: 'string' },
        admin: { type: 'boolean', default: false },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string', default: '86400' },
        secret: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const { values } = parse();
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const secret = values.secret ?? process.env.JWT_HS256_SECRET;
if (!values.account || !secret) {
  console.error(!secret ? 'JWT_HS256_SECRET is not set and --secret was not given' : usage);
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive integer number of seconds');
  process.exit(2);
}
const roles = [...(values.role ?? []), ...(values.admin ? ['admin'] : [])];
console.log(
  await mintToken({
    secret,
    accountId: values.account,
    sub: values.sub,
    roles,
    ttlSec: ttl,
    issuer: process.env.JWT_ISSUER || undefined,
    audience: process.env.JWT_AUDIENCE || undefined,
  }),
);

/** `auth token create` and `acls *`. */
import { type AclBinding, createToken, describeAcl, parseTtl, readTokenKey } from '@tributary/auth';
import type { Tributary } from '../tributary';
import type { AclsAddArgs, AclsListArgs, AclsRemoveArgs, AuthTokenCreateArgs } from './commands/security';
import { UsageError } from './flags';
import { json, type Output, table } from './output';

/** Signs a token offline with the key file (no cluster is contacted) and prints it. */
export async function authTokenCreate(c: AuthTokenCreateArgs, io: Output): Promise<void> {
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(c.ttl);
  } catch (err) {
    throw new UsageError(`--ttl: ${(err as Error).message}`);
  }
  const token = await createToken({ principal: c.principal, ttlSeconds, key: readTokenKey(c.keyFile) });
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
  io.out(c.json ? json({ principal: c.principal, expiresAt, token }) : token);
}

export async function aclsAdd(t: Tributary, c: AclsAddArgs, io: Output): Promise<void> {
  await t.admin().createAcls(c.acls);
  if (c.json) io.out(json(c.acls));
  else for (const acl of c.acls) io.out(`Added: ${describeAcl(acl)}`);
}

const rows = (acls: readonly AclBinding[]) =>
  acls.map((a) => [a.principal, a.permission, a.operation, a.resourceType, a.patternType, a.resourceName]);
const HEAD = ['PRINCIPAL', 'PERMISSION', 'OPERATION', 'RESOURCE', 'PATTERN', 'NAME'];

export async function aclsList(t: Tributary, c: AclsListArgs, io: Output): Promise<void> {
  const acls = await t.admin().describeAcls(c.filter);
  if (c.json) io.out(json(acls));
  else if (acls.length === 0) io.out('No ACLs.');
  else io.out(table(HEAD, rows(acls)));
}

export async function aclsRemove(t: Tributary, c: AclsRemoveArgs, io: Output): Promise<void> {
  const removed = await t.admin().deleteAcls(c.filter);
  if (c.json) io.out(json(removed));
  else if (removed.length === 0) io.out('No ACL matched; nothing removed.');
  else for (const acl of removed) io.out(`Removed: ${describeAcl(acl)}`);
}

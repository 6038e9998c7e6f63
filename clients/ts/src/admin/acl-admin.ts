/**
 * ACL administration (docs/security.md, "Authorization"): CreateAcls, DescribeAcls and
 * DeleteAcls at the active controller, which keeps them in etcd; every service follows them.
 */
import {
  type AclBinding,
  type AclBindingMessage,
  type AclFilter,
  aclBindingProblem,
  aclFromMessage,
  aclToMessage,
  filterToMessage,
} from '@tributary/auth';
import { InvalidConfigError } from '@tributary/errors';
import type {
  CreateAclsResponse__Output,
  DeleteAclsResponse__Output,
  DescribeAclsResponse__Output,
  AclBinding as ProtoAclBinding,
  AclFilter as ProtoAclFilter,
} from '@tributary/proto';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';

const fromMessage = (m: AclBindingMessage): AclBinding => {
  const acl = aclFromMessage(m);
  if ('problem' in acl) throw new Error(`the controller returned a malformed ACL: ${acl.problem}`);
  return acl;
};

/** Adds ACLs; an ACL that exists already is left as it is. */
export async function createAcls(cluster: Cluster, acls: readonly AclBinding[]): Promise<void> {
  for (const acl of acls) {
    const problem = aclBindingProblem(acl);
    if (problem !== undefined) throw new InvalidConfigError('acl', problem);
  }
  const res = await cluster.controller((c, deadline) =>
    promisify<CreateAclsResponse__Output>((cb) =>
      c.CreateAcls({ acls: acls.map((a) => aclToMessage(a) as ProtoAclBinding) }, { deadline }, cb),
    ),
  );
  res.results.forEach((r, i) => {
    if (r.errorCode !== 0) throw itemError(r.errorCode, r.errorMessage, { acl: JSON.stringify(acls[i]) });
  });
}

/** The ACLs `filter` selects (every absent field matches anything). */
export async function describeAcls(cluster: Cluster, filter: AclFilter = {}): Promise<AclBinding[]> {
  const res = await cluster.controller((c, deadline) =>
    promisify<DescribeAclsResponse__Output>((cb) =>
      c.DescribeAcls({ filter: filterToMessage(filter) as ProtoAclFilter }, { deadline }, cb),
    ),
  );
  return res.acls.map((m) => fromMessage(m as AclBindingMessage));
}

/** Removes every ACL `filter` selects, and returns them. */
export async function deleteAcls(cluster: Cluster, filter: AclFilter): Promise<AclBinding[]> {
  const res = await cluster.controller((c, deadline) =>
    promisify<DeleteAclsResponse__Output>((cb) =>
      c.DeleteAcls({ filters: [filterToMessage(filter) as ProtoAclFilter] }, { deadline }, cb),
    ),
  );
  const result = res.results[0];
  if (result === undefined) return [];
  if (result.errorCode !== 0) throw itemError(result.errorCode, result.errorMessage, {});
  return result.deleted.map((m) => fromMessage(m as AclBindingMessage));
}

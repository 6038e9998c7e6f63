/**
 * `acls/...`: one ACL per key (`keys.aclKey`), stored as a versioned JSON record of the ACL's
 * fields. The ACL model and its validation are @tributary/auth's; this is its etcd form.
 */
import { type AclBinding, aclBindingProblem } from '@tributary/auth';

/** An ACL as stored in etcd. */
export interface AclRecord extends AclBinding {
  readonly version: 1;
}

export const isAclRecord = (v: unknown): v is AclRecord =>
  typeof v === 'object' &&
  v !== null &&
  (v as { version?: unknown }).version === 1 &&
  aclBindingProblem(v) === undefined;

/** The record of an ACL. */
export const aclRecord = (acl: AclBinding): AclRecord => ({
  version: 1,
  principal: acl.principal,
  resourceType: acl.resourceType,
  patternType: acl.patternType,
  resourceName: acl.resourceName,
  operation: acl.operation,
  permission: acl.permission,
});

/** The ACL a record holds, without its version. */
export const aclOfRecord = ({ version: _version, ...acl }: AclRecord): AclBinding => acl;

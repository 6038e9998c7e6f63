/**
 * Authentication and authorization shared by services and the CLI (no etcd, no gRPC server):
 * principals, the bearer-token format, the ACL model and the ACL decision (docs/security.md).
 */
export {
  type AclBinding,
  type AclFilter,
  aclBindingProblem,
  CLUSTER_RESOURCE_NAME,
  describeAcl,
  matchesFilter,
  OPERATIONS,
  type Operation,
  PATTERN_TYPES,
  type PatternType,
  PERMISSIONS,
  type Permission,
  RESOURCE_TYPES,
  type ResourceType,
  WILDCARD_RESOURCE_NAME,
} from './acl';
export {
  type AclBindingMessage,
  type AclFilterMessage,
  aclFromMessage,
  aclToMessage,
  filterFromMessage,
  filterToMessage,
} from './acl-proto';
export { AclAuthorizer } from './authorizer';
export { normalizePrincipal, principalProblem, USER_PRINCIPAL_TYPE, WILDCARD_PRINCIPAL } from './principal';
export {
  AUTHORIZATION_METADATA_KEY,
  createToken,
  MIN_KEY_BYTES,
  parseTtl,
  readTokenKey,
  TOKEN_ISSUER,
  TokenError,
  type VerifiedToken,
  verifyToken,
} from './token';

/**
 * The ACL model, Kafka's: an ACL binding allows or denies one principal one operation on the
 * resources one pattern names. A pattern is a resource type (cluster, topic, group) and a name,
 * matched literally (`*` literal matches every name) or as a prefix. Where ACLs live (etcd) and
 * how a check is answered are elsewhere (`authorizer.ts`, @tributary/registry's ACL record).
 */
import { principalProblem, WILDCARD_PRINCIPAL } from './principal';

export const RESOURCE_TYPES = ['cluster', 'topic', 'group'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PATTERN_TYPES = ['literal', 'prefixed'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

/** `all` in an ACL stands for every operation. */
export const OPERATIONS = ['all', 'read', 'write', 'create', 'delete', 'alter', 'describe'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const PERMISSIONS = ['allow', 'deny'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The one cluster resource's name (Kafka's `kafka-cluster`). */
export const CLUSTER_RESOURCE_NAME = 'tributary-cluster';
/** A literal resource name that matches every resource of its type. */
export const WILDCARD_RESOURCE_NAME = '*';

/** One ACL: `permission` `principal` to `operation` on the resources `pattern` names. */
export interface AclBinding {
  readonly principal: string;
  readonly resourceType: ResourceType;
  readonly patternType: PatternType;
  readonly resourceName: string;
  readonly operation: Operation;
  readonly permission: Permission;
}

/** Selects ACLs for listing and removal: each absent field matches anything. */
export type AclFilter = Partial<AclBinding>;

const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

/** A problem with an ACL binding (naming the field), or undefined when it is well formed. */
export function aclBindingProblem(binding: Partial<Record<keyof AclBinding, unknown>>): string | undefined {
  if (typeof binding.principal !== 'string') return 'an ACL needs a principal (e.g. User:alice)';
  if (binding.principal !== WILDCARD_PRINCIPAL) {
    const problem = principalProblem(binding.principal);
    if (problem !== undefined) return problem;
  }
  if (!oneOf(RESOURCE_TYPES, binding.resourceType))
    return `resource type must be one of ${RESOURCE_TYPES.join(', ')}`;
  if (!oneOf(PATTERN_TYPES, binding.patternType))
    return `pattern type must be one of ${PATTERN_TYPES.join(', ')}`;
  if (!oneOf(OPERATIONS, binding.operation)) return `operation must be one of ${OPERATIONS.join(', ')}`;
  if (!oneOf(PERMISSIONS, binding.permission)) return `permission must be one of ${PERMISSIONS.join(', ')}`;
  const name = binding.resourceName;
  if (typeof name !== 'string' || name.length === 0 || name.length > 255)
    return 'a resource name needs 1-255 characters';
  if (binding.resourceType === 'cluster' && name !== CLUSTER_RESOURCE_NAME)
    return `the cluster resource is named ${CLUSTER_RESOURCE_NAME}`;
  if (binding.patternType === 'prefixed' && name === WILDCARD_RESOURCE_NAME)
    return 'a prefixed pattern of "*" means nothing; use a literal "*"';
  return undefined;
}

/** Whether `binding` is selected by `filter`. */
export function matchesFilter(binding: AclBinding, filter: AclFilter): boolean {
  for (const key of Object.keys(filter) as (keyof AclBinding)[]) {
    const wanted = filter[key];
    if (wanted !== undefined && binding[key] !== wanted) return false;
  }
  return true;
}

/** `allow User:alice read on topic prefixed orders-`: one line for logs and the CLI. */
export function describeAcl(b: AclBinding): string {
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${b.patternType} ${b.resourceName}`;
}

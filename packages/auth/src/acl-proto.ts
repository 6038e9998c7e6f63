/**
 * ACLs to and from the contract's messages (proto/tributary/v1/controller.proto: AclBinding,
 * AclFilter). The proto enums list the model's values in the same order, so a value's enum
 * number is its index + 1 and 0 is UNSPECIFIED (acl-proto.test.ts checks the .proto itself).
 * Structural types keep this package free of the generated code.
 */
import {
  type AclBinding,
  type AclFilter,
  aclBindingProblem,
  OPERATIONS,
  PATTERN_TYPES,
  PERMISSIONS,
  RESOURCE_TYPES,
} from './acl';

/** An AclBinding message as grpc-js hands it over (enums as numbers). */
export interface AclBindingMessage {
  principal: string;
  resourceType: number;
  patternType: number;
  resourceName: string;
  operation: number;
  permission: number;
}

/** An AclFilter message (enums as numbers, 0 = any; absent strings = any). */
export interface AclFilterMessage {
  principal?: string | null | undefined;
  resourceType?: number;
  patternType?: number;
  resourceName?: string | null | undefined;
  operation?: number;
  permission?: number;
}

const fromCode = <T>(values: readonly T[], code: number | undefined): T | undefined =>
  code === undefined || code <= 0 ? undefined : values[code - 1];
const toCode = <T>(values: readonly T[], value: T): number => values.indexOf(value) + 1;

/** The ACL a message names, or a problem saying what is wrong with it. */
export function aclFromMessage(m: AclBindingMessage): AclBinding | { problem: string } {
  const candidate = {
    principal: m.principal,
    resourceType: fromCode(RESOURCE_TYPES, m.resourceType),
    patternType: fromCode(PATTERN_TYPES, m.patternType),
    resourceName: m.resourceName,
    operation: fromCode(OPERATIONS, m.operation),
    permission: fromCode(PERMISSIONS, m.permission),
  };
  const problem = aclBindingProblem(candidate);
  return problem === undefined ? (candidate as AclBinding) : { problem };
}

export function aclToMessage(acl: AclBinding): AclBindingMessage {
  return {
    principal: acl.principal,
    resourceType: toCode(RESOURCE_TYPES, acl.resourceType),
    patternType: toCode(PATTERN_TYPES, acl.patternType),
    resourceName: acl.resourceName,
    operation: toCode(OPERATIONS, acl.operation),
    permission: toCode(PERMISSIONS, acl.permission),
  };
}

export function filterFromMessage(m: AclFilterMessage | null | undefined): AclFilter {
  if (!m) return {};
  const filter: { -readonly [K in keyof AclFilter]: AclFilter[K] } = {};
  if (typeof m.principal === 'string') filter.principal = m.principal;
  if (typeof m.resourceName === 'string') filter.resourceName = m.resourceName;
  const resourceType = fromCode(RESOURCE_TYPES, m.resourceType);
  if (resourceType) filter.resourceType = resourceType;
  const patternType = fromCode(PATTERN_TYPES, m.patternType);
  if (patternType) filter.patternType = patternType;
  const operation = fromCode(OPERATIONS, m.operation);
  if (operation) filter.operation = operation;
  const permission = fromCode(PERMISSIONS, m.permission);
  if (permission) filter.permission = permission;
  return filter;
}

export function filterToMessage(f: AclFilter): AclFilterMessage {
  return {
    ...(f.principal !== undefined ? { principal: f.principal } : {}),
    ...(f.resourceName !== undefined ? { resourceName: f.resourceName } : {}),
    resourceType: f.resourceType ? toCode(RESOURCE_TYPES, f.resourceType) : 0,
    patternType: f.patternType ? toCode(PATTERN_TYPES, f.patternType) : 0,
    operation: f.operation ? toCode(OPERATIONS, f.operation) : 0,
    permission: f.permission ? toCode(PERMISSIONS, f.permission) : 0,
  };
}

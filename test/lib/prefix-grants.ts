import type { AclBinding, AclOperation } from '@tributary/client';

/**
 * The ACLs of a principal limited to one name prefix: `topicOperations` on topics and
 * `groupOperations` on groups whose names start with `prefix` (the security tests' usual
 * "alice may use alice-*").
 */
export function prefixGrants(
  principal: string,
  prefix: string,
  topicOperations: readonly AclOperation[],
  groupOperations: readonly AclOperation[] = ['read'],
): AclBinding[] {
  const grant = (resourceType: 'topic' | 'group', operation: AclOperation): AclBinding => ({
    principal,
    resourceType,
    patternType: 'prefixed',
    resourceName: prefix,
    operation,
    permission: 'allow',
  });
  return [
    ...topicOperations.map((op) => grant('topic', op)),
    ...groupOperations.map((op) => grant('group', op)),
  ];
}

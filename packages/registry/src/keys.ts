/**
 * The etcd key layout of ARCHITECTURE §2, built in this one module and nowhere else.
 * Every key is relative to the cluster namespace `/tributary/<cluster>/` (see `clusterNamespace`),
 * so a key built here never carries the prefix itself.
 *
 * Topic names are `[a-zA-Z0-9._-]` (no `/`), group ids may hold anything but are URI-encoded
 * so a `/` in a group id cannot escape its subtree.
 */

/** The root prefix of one cluster's keys: `/tributary/<cluster>/`. */
export function clusterNamespace(clusterName: string): string {
  if (!/^[a-zA-Z0-9._-]+$/.test(clusterName)) {
    throw new Error(`Illegal cluster name "${clusterName}": use [a-zA-Z0-9._-]`);
  }
  return `/tributary/${clusterName}/`;
}

const segment = (value: string): string => encodeURIComponent(value);

/** Ephemeral: the active controller. Its create revision is the controller epoch. */
export const controllerKey = (): string => 'controller';

/** Ephemeral: broker registry entry of broker `id`. */
export const brokerKey = (id: number): string => `brokers/${id}`;
/** Prefix of every broker registry entry. */
export const brokersPrefix = (): string => 'brokers/';
/** The broker id in a key under `brokersPrefix()`. */
export const brokerIdOfKey = (key: string): number => Number(key.slice(brokersPrefix().length));

/** Ephemeral: group coordinator registry entry. */
export const coordinatorKey = (id: string): string => `coordinators/${segment(id)}`;
/** Prefix of every coordinator registry entry. */
export const coordinatorsPrefix = (): string => 'coordinators/';

/** Persistent: topic id, replica assignment and config of one topic. */
export const topicKey = (topic: string): string => `topics/${topic}`;
/** Prefix of every topic record. */
export const topicsPrefix = (): string => 'topics/';

/** Persistent: leader, leader epoch and ISR of one partition. */
export const partitionStateKey = (topic: string, partition: number): string =>
  `partitions/${topic}/${partition}`;
/** Prefix of every partition state, or of one topic's when `topic` is given. */
export const partitionsPrefix = (topic?: string): string =>
  topic === undefined ? 'partitions/' : `partitions/${topic}/`;

/** Persistent: the next free producer-id block. */
export const producerIdBlockKey = (): string => 'producer-ids/next-block';
/** Persistent: the producer id and epoch bound to a transactional id. */
export const transactionalProducerKey = (transactionalId: string): string =>
  `producer-ids/transactional/${segment(transactionalId)}`;

/**
 * Persistent, short-lived: broker `brokerId` has deleted its local data of the topic being
 * deleted. The controller removes the topic's keys once every live replica has acknowledged.
 */
export const topicDeletionAckKey = (topic: string, brokerId: number): string =>
  `deletions/${topic}/${brokerId}`;
/** Prefix of every deletion acknowledgement, or of one topic's when `topic` is given. */
export const topicDeletionsPrefix = (topic?: string): string =>
  topic === undefined ? 'deletions/' : `deletions/${topic}/`;

/** Ephemeral: the coordinator that owns group `group`. */
export const groupCoordinatorKey = (group: string): string => `groups/${segment(group)}/coordinator`;
/** Ephemeral: consumer registry entry of one member. */
export const groupMemberKey = (group: string, member: string): string =>
  `groups/${segment(group)}/members/${segment(member)}`;
/** Prefix of a group's members. */
export const groupMembersPrefix = (group: string): string => `groups/${segment(group)}/members/`;
/** Ephemeral: which member (and generation) owns a partition for the group. */
export const groupOwnerKey = (group: string, topic: string, partition: number): string =>
  `groups/${segment(group)}/owners/${topic}/${partition}`;
/** Persistent: the group's committed offset of a partition. */
export const groupOffsetKey = (group: string, topic: string, partition: number): string =>
  `groups/${segment(group)}/offsets/${topic}/${partition}`;
/** Prefix of a group's committed offsets. */
export const groupOffsetsPrefix = (group: string): string => `groups/${segment(group)}/offsets/`;
/** Prefix of every group's keys, or of one group's. */
export const groupsPrefix = (group?: string): string =>
  group === undefined ? 'groups/' : `groups/${segment(group)}/`;

/**
 * Persistent: one ACL (docs/security.md). The key is built from every field of the ACL, so
 * adding the same ACL twice writes one key, and a pattern's ACLs sit together.
 */
export const aclKey = (acl: {
  resourceType: string;
  patternType: string;
  resourceName: string;
  principal: string;
  operation: string;
  permission: string;
}): string =>
  `acls/${acl.resourceType}/${acl.patternType}/${segment(acl.resourceName)}/${segment(acl.principal)}/${acl.operation}/${acl.permission}`;
/** Prefix of every ACL. */
export const aclsPrefix = (): string => 'acls/';

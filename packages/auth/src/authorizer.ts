/**
 * Answers "may this principal do this operation on this resource?" from an in-memory set of ACLs,
 * with Kafka's semantics:
 * - a super user may do everything;
 * - an ACL applies to a resource when its pattern matches the name (literal equal, literal `*`,
 *   or prefixed and the name starts with it) and its principal is the caller or `User:*`;
 * - a matching deny for the operation (or `all`) wins over any allow;
 * - an allow of the operation (or `all`) permits it; `describe` is also permitted by an allow of
 *   read, write, delete or alter (Kafka's implied describe);
 * - nothing matching: denied.
 * Decisions are memoised per (principal, resource, operation) and the memo is dropped whenever
 * the ACL set changes, so a check on the record path is one Map lookup. Whoever owns the set
 * (an etcd watch) calls `put`/`delete`/`replaceAll`.
 */
import type { AclBinding, Operation, ResourceType } from './acl';
import { WILDCARD_RESOURCE_NAME } from './acl';
import { WILDCARD_PRINCIPAL } from './principal';

/** Operations whose allow also allows `describe`. */
const IMPLIES_DESCRIBE: ReadonlySet<Operation> = new Set(['read', 'write', 'delete', 'alter']);
/** The memo is dropped past this many entries so a flood of distinct names cannot grow it forever. */
const MAX_MEMO_ENTRIES = 100_000;

export class AclAuthorizer {
  readonly #superUsers: ReadonlySet<string>;
  readonly #acls = new Map<string, AclBinding>();
  #memo = new Map<string, boolean>();

  constructor(superUsers: readonly string[]) {
    this.#superUsers = new Set(superUsers);
  }

  /** How many ACLs are held. */
  get size(): number {
    return this.#acls.size;
  }

  isSuperUser(principal: string): boolean {
    return this.#superUsers.has(principal);
  }

  /** Replaces every ACL (a snapshot); `id` is any stable key (the etcd key). */
  replaceAll(acls: ReadonlyMap<string, AclBinding>): void {
    this.#acls.clear();
    for (const [id, acl] of acls) this.#acls.set(id, acl);
    this.#memo = new Map();
  }

  put(id: string, acl: AclBinding): void {
    this.#acls.set(id, acl);
    this.#memo = new Map();
  }

  delete(id: string): void {
    if (this.#acls.delete(id)) this.#memo = new Map();
  }

  /** Every ACL held. */
  list(): AclBinding[] {
    return [...this.#acls.values()];
  }

  /** Whether `principal` may do `operation` on the resource `type`/`name`. */
  authorize(principal: string, type: ResourceType, name: string, operation: Operation): boolean {
    if (this.#superUsers.has(principal)) return true;
    const key = `${principal}\u0000${type}\u0000${operation}\u0000${name}`;
    let allowed = this.#memo.get(key);
    if (allowed === undefined) {
      allowed = this.#decide(principal, type, name, operation);
      if (this.#memo.size >= MAX_MEMO_ENTRIES) this.#memo = new Map();
      this.#memo.set(key, allowed);
    }
    return allowed;
  }

  /**
   * Whether some ACL allows `principal` `operation` on some resource of `type` (Kafka's rule for
   * idempotent producers: a write on any topic is enough to get a producer id).
   */
  allowsAny(principal: string, type: ResourceType, operation: Operation): boolean {
    if (this.#superUsers.has(principal)) return true;
    for (const acl of this.#acls.values()) {
      if (
        acl.resourceType === type &&
        acl.permission === 'allow' &&
        (acl.operation === operation || acl.operation === 'all') &&
        (acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL)
      )
        return true;
    }
    return false;
  }

  #decide(principal: string, type: ResourceType, name: string, operation: Operation): boolean {
    let allowed = false;
    for (const acl of this.#acls.values()) {
      if (acl.resourceType !== type) continue;
      if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (!patternMatches(acl, name)) continue;
      if (acl.permission === 'deny') {
        if (acl.operation === operation || acl.operation === 'all') return false;
        continue;
      }
      if (
        acl.operation === operation ||
        acl.operation === 'all' ||
        (operation === 'describe' && IMPLIES_DESCRIBE.has(acl.operation))
      )
        allowed = true;
    }
    return allowed;
  }
}

function patternMatches(acl: AclBinding, name: string): boolean {
  if (acl.patternType === 'prefixed') return name.startsWith(acl.resourceName);
  return acl.resourceName === name || acl.resourceName === WILDCARD_RESOURCE_NAME;
}

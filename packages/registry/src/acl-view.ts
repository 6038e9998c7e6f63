import { AclAuthorizer, type AclBinding } from '@tributary/auth';
import type { Namespace } from 'etcd3';
import { aclOfRecord, isAclRecord } from './acl-records';
import { aclsPrefix } from './keys';
import { PrefixWatch } from './prefix-watch';
import { parseRecord } from './records';

/**
 * The cluster's ACLs mirrored from etcd (`acls/`) into an AclAuthorizer by a PrefixWatch: a
 * check is answered from memory (a memoised Map lookup), never from etcd, and an ACL added or
 * removed anywhere reaches every service within a watch round trip. A malformed record is
 * reported and skipped: it allows nothing, and the rest still apply.
 */
export class AclView {
  readonly authorizer: AclAuthorizer;
  readonly #watch: PrefixWatch;

  constructor(ns: Namespace, superUsers: readonly string[], onError: (err: Error) => void) {
    this.authorizer = new AclAuthorizer(superUsers);
    const parse = (key: string, raw: string): AclBinding | undefined => {
      try {
        return aclOfRecord(parseRecord(key, raw, isAclRecord));
      } catch (err) {
        onError(err as Error);
        return undefined;
      }
    };
    this.#watch = new PrefixWatch(
      ns,
      aclsPrefix(),
      {
        onSnapshot: (entries) => {
          const acls = new Map<string, AclBinding>();
          for (const [key, raw] of entries) {
            const acl = parse(key, raw);
            if (acl) acls.set(key, acl);
          }
          this.authorizer.replaceAll(acls);
        },
        onPut: (key, raw) => {
          const acl = parse(key, raw);
          if (acl) this.authorizer.put(key, acl);
          else this.authorizer.delete(key);
        },
        onDelete: (key) => this.authorizer.delete(key),
      },
      onError,
    );
  }

  /** Loads every ACL, then follows changes; resolves once the snapshot is in place. */
  start(): Promise<void> {
    return this.#watch.start();
  }

  /** Resolves when every change received so far is applied. */
  settled(): Promise<void> {
    return this.#watch.settled();
  }

  close(): Promise<void> {
    return this.#watch.close();
  }
}

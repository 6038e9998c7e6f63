import type { AclBinding } from './acl';
import { AclAuthorizer } from './authorizer';

const acl = (over: Partial<AclBinding>): AclBinding => ({
  principal: 'User:alice',
  resourceType: 'topic',
  patternType: 'literal',
  resourceName: 'orders',
  operation: 'read',
  permission: 'allow',
  ...over,
});

const authorizer = (acls: AclBinding[], superUsers: string[] = []) => {
  const a = new AclAuthorizer(superUsers);
  a.replaceAll(new Map(acls.map((b, i) => [String(i), b])));
  return a;
};

describe('AclAuthorizer', () => {
  it('denies when no ACL matches', () => {
    expect(authorizer([]).authorize('User:alice', 'topic', 'orders', 'read')).toBe(false);
  });

  it('allows a literal match only for that name, operation and principal', () => {
    const a = authorizer([acl({})]);
    expect(a.authorize('User:alice', 'topic', 'orders', 'read')).toBe(true);
    expect(a.authorize('User:alice', 'topic', 'orders2', 'read')).toBe(false);
    expect(a.authorize('User:alice', 'topic', 'orders', 'write')).toBe(false);
    expect(a.authorize('User:bob', 'topic', 'orders', 'read')).toBe(false);
    expect(a.authorize('User:alice', 'group', 'orders', 'read')).toBe(false);
  });

  it('matches prefixes, the literal wildcard name and the wildcard principal', () => {
    const a = authorizer([
      acl({ patternType: 'prefixed', resourceName: 'alice-' }),
      acl({ principal: 'User:*', resourceName: '*', operation: 'describe' }),
    ]);
    expect(a.authorize('User:alice', 'topic', 'alice-1', 'read')).toBe(true);
    expect(a.authorize('User:alice', 'topic', 'bob-1', 'read')).toBe(false);
    expect(a.authorize('User:bob', 'topic', 'anything', 'describe')).toBe(true);
  });

  it('lets a deny win over any allow, and all stand for every operation', () => {
    const a = authorizer([
      acl({ operation: 'all', patternType: 'prefixed', resourceName: 'o' }),
      acl({ permission: 'deny', operation: 'write' }),
    ]);
    expect(a.authorize('User:alice', 'topic', 'orders', 'read')).toBe(true);
    expect(a.authorize('User:alice', 'topic', 'orders', 'write')).toBe(false);
    expect(a.authorize('User:alice', 'topic', 'other', 'write')).toBe(true);
    expect(
      authorizer([acl({ permission: 'deny', operation: 'all' }), acl({})]).authorize(
        'User:alice',
        'topic',
        'orders',
        'read',
      ),
    ).toBe(false);
  });

  it('implies describe from read, write, delete and alter, but not from create', () => {
    expect(
      authorizer([acl({ operation: 'write' })]).authorize('User:alice', 'topic', 'orders', 'describe'),
    ).toBe(true);
    expect(
      authorizer([acl({ operation: 'create' })]).authorize('User:alice', 'topic', 'orders', 'describe'),
    ).toBe(false);
  });

  it('lets super users do everything', () => {
    const a = authorizer(
      [acl({ permission: 'deny', operation: 'all', principal: 'User:*' })],
      ['User:admin'],
    );
    expect(a.authorize('User:admin', 'cluster', 'tributary-cluster', 'alter')).toBe(true);
    expect(a.allowsAny('User:admin', 'topic', 'write')).toBe(true);
  });

  it('forgets memoised decisions when the ACLs change', () => {
    const a = authorizer([]);
    expect(a.authorize('User:alice', 'topic', 'orders', 'read')).toBe(false);
    a.put('x', acl({}));
    expect(a.authorize('User:alice', 'topic', 'orders', 'read')).toBe(true);
    a.delete('x');
    expect(a.authorize('User:alice', 'topic', 'orders', 'read')).toBe(false);
  });

  it('answers allowsAny for an allow of the operation on any resource of the type', () => {
    const a = authorizer([acl({ operation: 'write', patternType: 'prefixed', resourceName: 'a-' })]);
    expect(a.allowsAny('User:alice', 'topic', 'write')).toBe(true);
    expect(a.allowsAny('User:bob', 'topic', 'write')).toBe(false);
  });
});

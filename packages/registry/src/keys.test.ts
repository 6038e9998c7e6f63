import * as keys from './keys';

describe('etcd key layout', () => {
  it('builds every key of ARCHITECTURE §2 relative to the cluster namespace', () => {
    expect(keys.clusterNamespace('prod-1')).toBe('/tributary/prod-1/');
    expect(keys.controllerKey()).toBe('controller');
    expect(keys.brokerKey(7)).toBe('brokers/7');
    expect(keys.brokerIdOfKey(keys.brokerKey(12))).toBe(12);
    expect(keys.coordinatorKey('gc-0')).toBe('coordinators/gc-0');
    expect(keys.topicKey('orders')).toBe('topics/orders');
    expect(keys.partitionStateKey('orders', 3)).toBe('partitions/orders/3');
    expect(keys.partitionsPrefix('orders')).toBe('partitions/orders/');
    expect(keys.groupCoordinatorKey('g')).toBe('groups/g/coordinator');
    expect(keys.groupMemberKey('g', 'm-1')).toBe('groups/g/members/m-1');
    expect(keys.groupOwnerKey('g', 'orders', 2)).toBe('groups/g/owners/orders/2');
    expect(keys.groupOffsetKey('g', 'orders', 2)).toBe('groups/g/offsets/orders/2');
  });

  it('keeps a slash in a group id from escaping the group subtree', () => {
    expect(keys.groupOffsetKey('a/b', 't', 0)).toBe('groups/a%2Fb/offsets/t/0');
    expect(keys.groupsPrefix('a/b')).toBe('groups/a%2Fb/');
  });

  it('refuses cluster names that would break the layout', () => {
    expect(() => keys.clusterNamespace('a/b')).toThrow(/Illegal cluster name/);
    expect(() => keys.clusterNamespace('')).toThrow(/Illegal cluster name/);
  });
});

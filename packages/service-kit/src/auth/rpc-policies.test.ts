import { AclAuthorizer } from '@tributary/auth';
import { loadTributaryPackageDefinition } from '@tributary/proto';
import { deniedAccess, NO_POLICY, RPC_POLICIES } from './rpc-policies';

describe('RPC_POLICIES', () => {
  it('decides every RPC of the contract, and nothing else', () => {
    const methods: string[] = [];
    for (const [name, def] of Object.entries(loadTributaryPackageDefinition())) {
      if (!name.startsWith('tributary.v1.') || 'format' in def) continue;
      for (const method of Object.keys(def)) methods.push(`${name.slice('tributary.v1.'.length)}/${method}`);
    }
    expect(methods.length).toBeGreaterThan(20);
    expect(Object.keys(RPC_POLICIES).sort()).toEqual(methods.sort());
  });

  it('lets only super users through an RPC without a policy', () => {
    const authorizer = new AclAuthorizer(['User:admin']);
    authorizer.put('1', {
      principal: 'User:alice',
      resourceType: 'cluster',
      patternType: 'literal',
      resourceName: 'tributary-cluster',
      operation: 'all',
      permission: 'allow',
    });
    expect(deniedAccess(NO_POLICY, {}, 'User:admin', authorizer)).toBeUndefined();
    expect(deniedAccess(NO_POLICY, {}, 'User:alice', authorizer)).toMatchObject({ type: 'cluster' });
  });

  it('allows CreateTopics on the topic or on the cluster, and InitProducerId to any topic writer', () => {
    const authorizer = new AclAuthorizer([]);
    const create = RPC_POLICIES['ControllerService/CreateTopics']!;
    const request = { topics: [{ name: 'a-1' }] };
    expect(deniedAccess(create, request, 'User:alice', authorizer)).toMatchObject({
      type: 'topic',
      name: 'a-1',
    });
    authorizer.put('c', {
      principal: 'User:alice',
      resourceType: 'cluster',
      patternType: 'literal',
      resourceName: 'tributary-cluster',
      operation: 'create',
      permission: 'allow',
    });
    expect(deniedAccess(create, request, 'User:alice', authorizer)).toBeUndefined();
    const init = RPC_POLICIES['ControllerService/InitProducerId']!;
    expect(deniedAccess(init, {}, 'User:bob', authorizer)).toBeDefined();
    authorizer.put('w', {
      principal: 'User:bob',
      resourceType: 'topic',
      patternType: 'prefixed',
      resourceName: 'b-',
      operation: 'write',
      permission: 'allow',
    });
    expect(deniedAccess(init, {}, 'User:bob', authorizer)).toBeUndefined();
  });
});

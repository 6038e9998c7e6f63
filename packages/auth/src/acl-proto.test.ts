import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES } from './acl';
import { aclFromMessage, aclToMessage, filterFromMessage, filterToMessage } from './acl-proto';

const proto = readFileSync(join(__dirname, '../../../proto/tributary/v1/controller.proto'), 'utf8');

/** The values of a proto enum, in number order, without the UNSPECIFIED one. */
function enumValues(name: string, prefix: string): string[] {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(proto)![1]!;
  return [...body.matchAll(new RegExp(`${prefix}_([A-Z]+) = (\\d+);`, 'g'))]
    .filter((m) => m[1] !== 'UNSPECIFIED')
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m, i) => {
      expect(Number(m[2])).toBe(i + 1);
      return m[1]!.toLowerCase();
    });
}

describe('ACL messages', () => {
  it('list the model values in the proto enums’ order', () => {
    expect(enumValues('AclResourceType', 'ACL_RESOURCE_TYPE')).toEqual([...RESOURCE_TYPES]);
    expect(enumValues('AclPatternType', 'ACL_PATTERN_TYPE')).toEqual([...PATTERN_TYPES]);
    expect(enumValues('AclOperation', 'ACL_OPERATION')).toEqual([...OPERATIONS]);
    expect(enumValues('AclPermission', 'ACL_PERMISSION')).toEqual([...PERMISSIONS]);
  });

  it('round-trip an ACL and a filter, and refuse a malformed ACL', () => {
    const acl = {
      principal: 'User:alice',
      resourceType: 'topic',
      patternType: 'prefixed',
      resourceName: 'alice-',
      operation: 'write',
      permission: 'allow',
    } as const;
    expect(aclFromMessage(aclToMessage(acl))).toEqual(acl);
    expect(aclFromMessage({ ...aclToMessage(acl), operation: 0 })).toEqual({
      problem: expect.stringMatching(/operation/),
    });
    expect(filterFromMessage(filterToMessage({ principal: 'User:alice', operation: 'read' }))).toEqual({
      principal: 'User:alice',
      operation: 'read',
    });
    expect(filterFromMessage(undefined)).toEqual({});
  });
});

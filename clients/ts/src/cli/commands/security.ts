/** `tributary auth token create` and `tributary acls add|list|remove`: the table entries. */
import {
  type AclFilter,
  CLUSTER_RESOURCE_NAME,
  normalizePrincipal,
  OPERATIONS,
  type Operation,
  type ResourceType,
} from '@tributary/auth';
import { type Common, type ParsedFlags, UsageError } from '../flags';
import { aclsAdd, aclsList, aclsRemove, authTokenCreate } from '../security-commands';
import { defineCommand } from './command-spec';

const RESOURCE_FLAGS = {
  topic: { type: 'string' },
  group: { type: 'string' },
  cluster: { type: 'boolean' },
  prefixed: { type: 'boolean' },
} as const;

/** The resource of --topic / --group / --cluster (at most one), with --prefixed. */
function resource(
  p: ParsedFlags,
  usage: string,
  required: boolean,
): Pick<AclFilter, 'resourceType' | 'resourceName' | 'patternType'> {
  const given: [ResourceType, string][] = [];
  if (p.str('topic') !== undefined) given.push(['topic', p.str('topic')!]);
  if (p.str('group') !== undefined) given.push(['group', p.str('group')!]);
  if (p.bool('cluster')) given.push(['cluster', CLUSTER_RESOURCE_NAME]);
  if (given.length > 1) throw new UsageError(`name one of --topic, --group, --cluster: ${usage}`);
  const prefixed = p.bool('prefixed');
  if (given.length === 0) {
    if (required)
      throw new UsageError(`name the resource: --topic NAME, --group NAME or --cluster: ${usage}`);
    return prefixed ? { patternType: 'prefixed' } : {};
  }
  const [resourceType, resourceName] = given[0]!;
  if (prefixed && resourceType === 'cluster') throw new UsageError('--prefixed does not apply to --cluster');
  return {
    resourceType,
    resourceName,
    ...(prefixed
      ? { patternType: 'prefixed' as const }
      : required
        ? { patternType: 'literal' as const }
        : {}),
  };
}

function operations(list: string[] | undefined, usage: string, required: boolean): Operation[] {
  const ops = (list ?? []).flatMap((o) => o.split(',')).map((o) => o.trim().toLowerCase());
  if (required && ops.length === 0) throw new UsageError(`name at least one --operation: ${usage}`);
  for (const op of ops)
    if (!(OPERATIONS as readonly string[]).includes(op))
      throw new UsageError(`--operation must be one of ${OPERATIONS.join(', ')}, got "${op}"`);
  return ops as Operation[];
}

const SECTION = 'Security';

const TOKEN_USAGE = 'auth token create --principal NAME --key-file FILE [--ttl 1h]';
const parseTokenCreate = (p: ParsedFlags) => {
  const principal = p.str('principal');
  const keyFile = p.str('key-file');
  if (principal === undefined || keyFile === undefined)
    throw new UsageError(`--principal and --key-file are required: tributary ${TOKEN_USAGE}`);
  if (p.positionals.length > 0)
    throw new UsageError(`unexpected argument "${p.positionals[0]}": tributary ${TOKEN_USAGE}`);
  return {
    kind: 'auth-token-create' as const,
    principal: normalizePrincipal(principal),
    keyFile,
    ttl: p.str('ttl') ?? '1h',
  };
};
export type AuthTokenCreateArgs = Common & ReturnType<typeof parseTokenCreate>;

export const authTokenCreateCommand = defineCommand({
  name: 'auth token',
  section: SECTION,
  usage: [TOKEN_USAGE],
  summary: 'sign a bearer token for a principal with the cluster’s key file (offline)',
  flags: { principal: { type: 'string' }, 'key-file': { type: 'string' }, ttl: { type: 'string' } },
  parse: (p: ParsedFlags) => {
    if (p.positionals[0] !== 'create') throw new UsageError(`usage: tributary ${TOKEN_USAGE}`);
    return parseTokenCreate({ ...p, positionals: p.positionals.slice(1) });
  },
  run: (_t, c, io) => authTokenCreate(c, io),
});

const ADD_USAGE =
  'acls add (--allow PRINCIPAL | --deny PRINCIPAL) --operation OP[,OP] (--topic NAME | --group NAME | --cluster) [--prefixed]';
const parseAclsAdd = (p: ParsedFlags) => {
  const allow = p.str('allow');
  const deny = p.str('deny');
  if ((allow === undefined) === (deny === undefined))
    throw new UsageError(
      `give exactly one of --allow PRINCIPAL and --deny PRINCIPAL: tributary ${ADD_USAGE}`,
    );
  const r = resource(p, `tributary ${ADD_USAGE}`, true);
  return {
    kind: 'acls-add' as const,
    acls: operations(p.list('operation'), `tributary ${ADD_USAGE}`, true).map((operation) => ({
      principal: normalizePrincipal((allow ?? deny)!),
      permission: allow !== undefined ? ('allow' as const) : ('deny' as const),
      resourceType: r.resourceType!,
      patternType: r.patternType!,
      resourceName: r.resourceName!,
      operation,
    })),
  };
};
export type AclsAddArgs = Common & ReturnType<typeof parseAclsAdd>;

export const aclsAddCommand = defineCommand({
  name: 'acls add',
  section: SECTION,
  usage: [ADD_USAGE],
  flags: {
    allow: { type: 'string' },
    deny: { type: 'string' },
    operation: { type: 'string', multiple: true },
    ...RESOURCE_FLAGS,
  },
  parse: parseAclsAdd,
  run: (t, c, io) => aclsAdd(t, c, io),
});

const LIST_USAGE = 'acls list [--principal PRINCIPAL] [--topic NAME | --group NAME | --cluster] [--prefixed]';
const parseAclsList = (p: ParsedFlags) => {
  const principal = p.str('principal');
  return {
    kind: 'acls-list' as const,
    filter: {
      ...(principal === undefined ? {} : { principal: normalizePrincipal(principal) }),
      ...resource(p, `tributary ${LIST_USAGE}`, false),
    } as AclFilter,
  };
};
export type AclsListArgs = Common & ReturnType<typeof parseAclsList>;

export const aclsListCommand = defineCommand({
  name: 'acls list',
  section: SECTION,
  usage: [LIST_USAGE],
  flags: { principal: { type: 'string' }, ...RESOURCE_FLAGS },
  parse: parseAclsList,
  run: (t, c, io) => aclsList(t, c, io),
});

const REMOVE_USAGE =
  'acls remove [--principal PRINCIPAL] [--topic NAME | --group NAME | --cluster] [--prefixed] [--operation OP] [--allow | --deny]';
const parseAclsRemove = (p: ParsedFlags) => {
  const principal = p.str('principal');
  const ops = operations(p.list('operation'), `tributary ${REMOVE_USAGE}`, false);
  if (ops.length > 1) throw new UsageError('acls remove takes one --operation (or none for every operation)');
  if (p.bool('allow') && p.bool('deny')) throw new UsageError('give --allow or --deny, not both');
  const filter: AclFilter = {
    ...(principal === undefined ? {} : { principal: normalizePrincipal(principal) }),
    ...resource(p, `tributary ${REMOVE_USAGE}`, false),
    ...(ops[0] === undefined ? {} : { operation: ops[0] }),
    ...(p.bool('allow')
      ? { permission: 'allow' as const }
      : p.bool('deny')
        ? { permission: 'deny' as const }
        : {}),
  };
  if (filter.principal === undefined && filter.resourceName === undefined)
    throw new UsageError(
      `name a --principal or a resource, so a typo cannot remove every ACL: tributary ${REMOVE_USAGE}`,
    );
  return { kind: 'acls-remove' as const, filter };
};
export type AclsRemoveArgs = Common & ReturnType<typeof parseAclsRemove>;

export const aclsRemoveCommand = defineCommand({
  name: 'acls remove',
  section: SECTION,
  usage: [REMOVE_USAGE],
  flags: {
    principal: { type: 'string' },
    operation: { type: 'string', multiple: true },
    allow: { type: 'boolean' },
    deny: { type: 'boolean' },
    ...RESOURCE_FLAGS,
  },
  parse: parseAclsRemove,
  run: (t, c, io) => aclsRemove(t, c, io),
});

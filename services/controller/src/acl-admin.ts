/**
 * CreateAcls, DescribeAcls, DeleteAcls: the ACLs in etcd (`acls/`, one key per ACL, records of
 * @tributary/registry), written by the active controller through its epoch-fenced writer like
 * any metadata, so a deposed controller cannot write them. Every service mirrors them with an
 * AclView; nothing here caches.
 */
import {
  type AclBinding,
  type AclFilter,
  aclFromMessage,
  aclToMessage,
  filterFromMessage,
  matchesFilter,
  principalProblem,
  WILDCARD_PRINCIPAL,
} from '@tributary/auth';
import { ErrorCode } from '@tributary/errors';
import type {
  AclBinding as AclBindingMessage,
  CreateAclsRequest__Output,
  CreateAclsResponse,
  DeleteAclsRequest__Output,
  DeleteAclsResponse,
  DeleteAclsResult,
  DescribeAclsRequest__Output,
  DescribeAclsResponse,
} from '@tributary/proto';
import { aclOfRecord, aclRecord, isAclRecord, keys, parseRecord, serializeRecord } from '@tributary/registry';
import { protoCode } from './admin-handlers';
import { MAX_TXN_OPS, type MetadataWriter } from './metadata-writer';

/** An ACL as the contract spells it (the generated enum types are the same numbers). */
const toMessage = (acl: AclBinding): AclBindingMessage => aclToMessage(acl) as AclBindingMessage;

export async function createAcls(
  writer: MetadataWriter,
  request: CreateAclsRequest__Output,
): Promise<CreateAclsResponse> {
  const results: CreateAclsResponse['results'] = [];
  const puts: { key: string; value: string }[] = [];
  for (const message of request.acls) {
    const acl = aclFromMessage(message);
    if ('problem' in acl) {
      results.push({ errorCode: protoCode(ErrorCode.INVALID_REQUEST), errorMessage: acl.problem });
      continue;
    }
    puts.push({ key: keys.aclKey(acl), value: serializeRecord(aclRecord(acl)) });
    results.push({ errorCode: protoCode(ErrorCode.NONE), errorMessage: '' });
  }
  for (let i = 0; i < puts.length; i += MAX_TXN_OPS) {
    await writer.commit(
      [],
      puts.slice(i, i + MAX_TXN_OPS).map((p) => ({ kind: 'put' as const, ...p })),
    );
  }
  return { results };
}

/** Every ACL in etcd with its key, sorted by key (resource, then principal). */
async function readAcls(writer: MetadataWriter): Promise<{ key: string; acl: AclBinding }[]> {
  const kvs = await writer.readPrefix(keys.aclsPrefix());
  return kvs
    .map((kv) => {
      const key = kv.key.toString();
      return { key, acl: aclOfRecord(parseRecord(key, kv.value, isAclRecord)) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function describeAcls(
  writer: MetadataWriter,
  request: DescribeAclsRequest__Output,
): Promise<DescribeAclsResponse> {
  const filter = filterFromMessage(request.filter);
  return {
    acls: (await readAcls(writer)).filter((a) => matchesFilter(a.acl, filter)).map((a) => toMessage(a.acl)),
  };
}

/** A filter's problem: a principal it names must be well formed, so a typo does not silently match nothing. */
function filterProblem(filter: AclFilter): string | undefined {
  if (filter.principal === undefined || filter.principal === WILDCARD_PRINCIPAL) return undefined;
  return principalProblem(filter.principal);
}

export async function deleteAcls(
  writer: MetadataWriter,
  request: DeleteAclsRequest__Output,
): Promise<DeleteAclsResponse> {
  const all = await readAcls(writer);
  const removed = new Set<string>();
  const results: DeleteAclsResult[] = [];
  for (const message of request.filters) {
    const filter = filterFromMessage(message);
    const problem = filterProblem(filter);
    if (problem !== undefined) {
      results.push({ errorCode: protoCode(ErrorCode.INVALID_REQUEST), errorMessage: problem, deleted: [] });
      continue;
    }
    const matched = all.filter((a) => matchesFilter(a.acl, filter));
    for (const a of matched) removed.add(a.key);
    results.push({
      errorCode: protoCode(ErrorCode.NONE),
      errorMessage: '',
      deleted: matched.map((a) => toMessage(a.acl)),
    });
  }
  const deletes = [...removed];
  for (let i = 0; i < deletes.length; i += MAX_TXN_OPS) {
    await writer.commit(
      [],
      deletes.slice(i, i + MAX_TXN_OPS).map((key) => ({ kind: 'delete' as const, key })),
    );
  }
  return { results };
}

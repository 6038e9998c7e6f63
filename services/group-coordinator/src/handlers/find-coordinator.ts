import { createHash } from 'node:crypto';
import { TributaryError } from '@tributary/errors';
import type { FindCoordinatorRequest__Output, FindCoordinatorResponse } from '@tributary/proto';
import {
  isGroupCoordinatorRecord,
  keys,
  type MetadataView,
  type Namespace,
  numericId,
  parseRecord,
} from '@tributary/registry';
import type { GroupManager } from '../group-manager';
import type { CoordinatorIdentity } from '../registry/group-store';
import { checkGroupId } from './validate';

export interface FindCoordinatorDeps {
  readonly ns: () => Namespace;
  readonly manager: GroupManager;
  readonly metadata: MetadataView;
  readonly self: CoordinatorIdentity;
}

const endpoint = (c: { id: string; host: string; port: number }): FindCoordinatorResponse => ({
  coordinator: { coordinatorId: numericId(c.id), host: c.host, port: c.port },
});

/** Rendezvous (highest random weight) hashing: the live coordinator that scores highest for the group. */
export function rendezvous<T extends { id: string }>(
  groupId: string,
  candidates: readonly T[],
): T | undefined {
  let best: { candidate: T; score: string } | undefined;
  for (const candidate of candidates) {
    const score = createHash('sha1').update(groupId).update('\0').update(candidate.id).digest('hex');
    if (!best || score > best.score) best = { candidate, score };
  }
  return best?.candidate;
}

/**
 * FindCoordinator (any coordinator answers). The owner is whoever holds `groups/<g>/coordinator`.
 * A group nobody holds goes to the live coordinator chosen by rendezvous hashing of the group id
 * over the registered coordinators, so groups spread evenly and every coordinator picks the same
 * one; when that is this coordinator it claims the group before answering, otherwise the chosen
 * one claims it on the member's first request. Claims are create-revision txns, so a race between
 * two coordinators has one winner; the loser answers NOT_COORDINATOR and the client asks again.
 */
export async function findCoordinator(
  deps: FindCoordinatorDeps,
  request: FindCoordinatorRequest__Output,
): Promise<FindCoordinatorResponse> {
  const groupId = request.groupId;
  checkGroupId(groupId);
  if (deps.manager.get(groupId)) return endpoint(deps.self);
  const holder = await readHolder(deps.ns(), groupId);
  if (holder) return endpoint(holder);
  const live = [...deps.metadata.coordinators().values()].filter(
    (c) => !(deps.manager.isStopping && c.id === deps.self.id),
  );
  const chosen = rendezvous(groupId, live);
  if (!chosen) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'No group coordinator is registered');
  if (chosen.id !== deps.self.id) return endpoint(chosen);
  try {
    await deps.manager.acquire(groupId);
    return endpoint(deps.self);
  } catch (err) {
    const now = await readHolder(deps.ns(), groupId);
    if (now) return endpoint(now);
    throw err;
  }
}

async function readHolder(ns: Namespace, groupId: string) {
  const key = keys.groupCoordinatorKey(groupId);
  const raw = await ns.get(key).string();
  if (raw === null) return undefined;
  const record = parseRecord(key, raw, isGroupCoordinatorRecord);
  return { id: record.coordinatorId, host: record.host, port: record.port };
}

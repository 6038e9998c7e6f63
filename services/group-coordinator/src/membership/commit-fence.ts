import type { ErrorName } from '@tributary/errors';
import type { TpKey } from '../topic-partition';
import type { Member } from './member';

/** The outcome of checking a commit's member and generation. */
export type CommitCheck =
  | { readonly ok: false; readonly error: ErrorName; readonly message: string }
  | { readonly ok: true; readonly owns: (tp: TpKey) => boolean };

/**
 * Fences a commit (ARCHITECTURE §6: commits are accepted only from the current owner at the
 * current generation):
 * - generation -1, a standalone consumer: only while the group has no members (NON_EMPTY_GROUP);
 * - a member at the generation of its latest assignment: accepted for the partitions it owns
 *   (revoked ones included until it confirms the revoke), ILLEGAL_GENERATION per other partition;
 * - a member at an older generation it was given: REBALANCE_IN_PROGRESS (its next assignment is
 *   on the way; commit again with it);
 * - an unknown member (removed: a zombie) at an older generation than the group's:
 *   ILLEGAL_GENERATION; otherwise UNKNOWN_MEMBER_ID.
 */
export function checkCommit(
  group: { readonly id: string; readonly generation: number; readonly members: ReadonlyMap<string, Member> },
  memberId: string,
  generation: number,
): CommitCheck {
  const g = group.id;
  if (generation === -1) {
    if (group.members.size > 0) {
      return { ok: false, error: 'NON_EMPTY_GROUP', message: `Group ${g} has active members` };
    }
    return { ok: true, owns: () => true };
  }
  const member = group.members.get(memberId);
  if (!member) {
    return generation < group.generation
      ? { ok: false, error: 'ILLEGAL_GENERATION', message: `Generation ${generation} of ${g} is over` }
      : { ok: false, error: 'UNKNOWN_MEMBER_ID', message: `${memberId} is not a member of ${g}` };
  }
  if (generation === member.generation) return { ok: true, owns: (tp) => member.owned.has(tp) };
  if (generation < member.generation && generation >= member.joinedGeneration) {
    return {
      ok: false,
      error: 'REBALANCE_IN_PROGRESS',
      message: `Generation ${member.generation} of ${g} is on its way; commit with it`,
    };
  }
  return {
    ok: false,
    error: 'ILLEGAL_GENERATION',
    message: `Generation ${generation} was never given to ${memberId} (latest ${member.generation})`,
  };
}

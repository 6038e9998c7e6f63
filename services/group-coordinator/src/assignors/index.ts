import type { Assignor } from './assignor';
import { cooperativeStickyAssignor } from './cooperative-sticky';
import { rangeAssignor } from './range';
import { roundRobinAssignor } from './round-robin';

export type { Assignment, Assignor, AssignorInput, AssignorMember } from './assignor';
export { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor };

/** Every assignor the coordinator runs, by name. */
export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map(
  [cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor].map((a) => [a.name, a]),
);

/** What a member that lists no assignor supports: all of them, cooperative-sticky first. */
export const DEFAULT_ASSIGNOR_PREFERENCE: readonly string[] = ['cooperative-sticky', 'range', 'roundrobin'];

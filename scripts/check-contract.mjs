#!/usr/bin/env node
// `buf breaking` for the public contract (part of `npm run lint`): a change to proto/ that would
// break clients generated from an earlier version (a renamed or renumbered field, a changed type,
// a removed RPC ...) fails. The baseline is the git tag `contract-v1` (the released contract);
// when a clone lacks it (a shallow CI checkout without tags), the previous commit; when neither
// exists, the check is skipped with the command that fetches them. Rules: buf.yaml `breaking`.
import { spawnSync } from 'node:child_process';

const TAG = 'contract-v1';
const git = (...args) => spawnSync('git', args, { encoding: 'utf8' });
const has = (ref) => git('rev-parse', '-q', '--verify', `${ref}^{commit}`).status === 0;

let against;
if (has(`refs/tags/${TAG}`)) against = `.git#tag=${TAG}`;
else if (has('HEAD~1')) {
  against = '.git#ref=HEAD~1';
  console.log(`check-contract: no tag ${TAG} in this clone; comparing with the previous commit instead`);
} else {
  console.log(
    `check-contract: skipped, this clone has neither the tag ${TAG} nor history; run\n  git fetch --tags --unshallow\nand lint again`,
  );
  process.exit(0);
}
const result = spawnSync('npx', ['buf', 'breaking', '--against', against], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    `check-contract: proto/ breaks clients generated from ${against.replace('.git#', '')} (see above). ` +
      'Add fields and RPCs instead of changing them (docs/protocol.md, "Evolving the contract").',
  );
}
process.exit(result.status ?? 1);

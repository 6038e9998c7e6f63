#!/usr/bin/env node
// `npm test`: the unit project in parallel, then the integration project one file at a time
// (each file starts its own etcd and service processes). Extra arguments go to both jest runs,
// e.g. `npm test -- -t 'lease'`. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const outDir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
const runs = [
  ['unit', ['--selectProjects', 'unit', '--passWithNoTests']],
  ['integration', ['--selectProjects', 'integration', '--runInBand', '--passWithNoTests']],
];
let passed = 0;
let failed = 0;
let broken = false;
for (const [name, args] of runs) {
  const outputFile = join(outDir, `${name}.json`);
  const result = spawnSync(
    process.execPath,
    [
      join('node_modules', 'jest', 'bin', 'jest.js'),
      ...args,
      '--json',
      `--outputFile=${outputFile}`,
      ...extra,
    ],
    { stdio: 'inherit' },
  );
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    // A suite that fails to load has no failed tests but must still fail the run.
    if (report.numRuntimeErrorTestSuites > 0) {
      failed += report.numRuntimeErrorTestSuites;
    }
  } catch {
    if (result.status !== 0) broken = true;
  }
  if (result.status !== 0 && result.status !== 1) broken = true;
}
rmSync(outDir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);

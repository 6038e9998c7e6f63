// One way for a `test:<suite>` script to run its jest project one file at a time and end with
// the line `N passed, N failed` that `npm run test:all` sums; exits 1 on any failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * Runs jest's `project` (extra jest arguments from this process's command line), reports, exits.
 * `nodeArgs` go to the Node process that runs jest.
 */
export function runJestSuite(project, { nodeArgs = [] } = {}) {
  const outDir = mkdtempSync(join(tmpdir(), `tributary-${project}-`));
  const outputFile = join(outDir, 'report.json');
  const jest = spawnSync(
    process.execPath,
    [
      ...nodeArgs,
      join('node_modules', 'jest', 'bin', 'jest.js'),
      '--selectProjects',
      project,
      '--runInBand',
      '--json',
      `--outputFile=${outputFile}`,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', cwd: root },
  );
  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
  } catch {
    failed = 1;
  }
  rmSync(outDir, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || (jest.status !== 0 && jest.status !== 1) ? 1 : 0);
}

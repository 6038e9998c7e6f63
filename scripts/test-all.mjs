#!/usr/bin/env node
// `npm run test:all`: `npm test` (the core), then the suites that need other real parts (faults,
// observability, chart, polyglot, ...), one after another. package.json's `test:all` names them
// all; `node scripts/test-all.mjs chart packaging` runs some. A `test:<suite>` script that the list
// leaves out is reported, so a new suite cannot silently miss CI. Each suite ends its output with
// one line `N passed, N failed`; this script sums them and ends with the same line, after a table
// of suite, result and minutes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const NOT_SUITES = new Set(['test:all', 'test:unit', 'test:integration']);
const SUMMARY = /^(\d+) passed, (\d+) failed$/;

const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts ?? {};
const suiteName = (name) => (name === 'test' || name.startsWith('test:') ? name : `test:${name}`);
const wanted = process.argv.slice(2).map(suiteName);
const known = ['test', ...Object.keys(scripts).filter((n) => n.startsWith('test:') && !NOT_SUITES.has(n))];
const unknown = wanted.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`test:all: no such suite: ${unknown.join(', ')} (suites: ${known.join(', ')})`);
  process.exit(2);
}
const suites = wanted.length > 0 ? wanted : known;
const left = known.filter((name) => !suites.includes(name));
if (left.length > 0) console.log(`test:all: not in this run: ${left.join(', ')}`);

/** Runs one npm script, echoing its output, and returns its exit code and last summary line. */
function runSuite(name) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'inherit'] });
    let summary = null;
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (tail + chunk.toString()).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        const m = SUMMARY.exec(line.trim());
        if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
      }
    });
    child.on('close', (code) => {
      const m = SUMMARY.exec(tail.trim());
      if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
      resolve({ code: code ?? 1, summary });
    });
  });
}

let passed = 0;
let failed = 0;
const rows = [];
for (const name of suites) {
  console.log(`\n=== npm run ${name}`);
  const started = Date.now();
  const { code, summary } = await runSuite(name);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  // A suite that exits non-zero without reporting a failure still failed as a whole.
  const counted = summary ?? { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
  if (code !== 0 && counted.failed === 0) counted.failed = 1;
  passed += counted.passed;
  failed += counted.failed;
  rows.push([name, `${counted.passed} passed, ${counted.failed} failed`, `${minutes} min`]);
}

console.log('\n=== test:all');
for (const [name, result, minutes] of rows) {
  console.log(`${name.padEnd(24)} ${result.padEnd(24)} ${minutes}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

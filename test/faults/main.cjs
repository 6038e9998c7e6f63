#!/usr/bin/env node
// `npm run test:faults` runs this after the build: it lets Node load the suite's TypeScript
// (test/faults/*.ts) through swc, the compiler jest already uses (types are checked by
// `npm run build`), then runs the suite. Workspace packages load from their built dist/.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    // Keep import() native so the suite can load the bench helpers (ES modules).
    module: { type: 'commonjs', ignoreDynamic: true },
  });
  module._compile(code, filename);
};

require('./runner.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );

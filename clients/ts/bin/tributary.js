#!/usr/bin/env node

// The `tributary` command: built code in dist/ (run `npm run build` first).
let main;
try {
  ({ main } = require('../dist/cli/main.js'));
} catch (err) {
  const firstLine = String(err.message).split('\n')[0];
  const notBuilt = err.code === 'MODULE_NOT_FOUND' && firstLine.includes('dist/cli/main.js');
  process.stderr.write(
    notBuilt
      ? 'tributary: the client is not built; run `npm run build` at the repository root.\n'
      : `tributary: cannot load the client: ${firstLine}\n`,
  );
  process.exit(1);
}
main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout is flushed: open gRPC channels must not keep the command alive.
    process.stdout.write('', () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`tributary: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

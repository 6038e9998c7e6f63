#!/usr/bin/env node

// The `tributary` command: built code in dist/ (run `npm run build` first).
let main;
try {
  ({ main } = require('../dist/cli/main.js'));
} catch (err) {
  process.stderr.write(
    `tributary: the client is not built (${err.code ?? err.message}); run \`npm run build\` at the repository root.\n`,
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

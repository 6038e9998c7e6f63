#!/usr/bin/env node

// The `tributary` command: built code in dist/ (run `npm run build` first).
// grpc-js names an IP address as the TLS server name (Node's DEP0123 warning, two lines on every
// TLS command to 127.0.0.1); a command prints one line of its own on error, so deprecations,
// which are meant for developers of this code, are not shown.
process.noDeprecation = true;
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

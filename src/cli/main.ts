#!/usr/bin/env node
// Entry point of the `sersync2` / `sersync-ts` binaries.
import { run } from './run.js';

run(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not a user error: say so in one line; the stack only on request.
    const e = err as Error;
    process.stderr.write(`sersync-ts: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.SERSYNC_TS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    else process.stderr.write('(set SERSYNC_TS_DEBUG=1 for details and please report it)\n');
    process.exit(70);
  },
);

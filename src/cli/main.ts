#!/usr/bin/env node
import { run } from './run';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // run() reports every expected failure itself; this is a bug, so show the stack.
    process.stderr.write(
      `device-keystore: internal error: ${(err as Error)?.stack ?? String(err)}\n`,
    );
    process.exitCode = 70;
  },
);

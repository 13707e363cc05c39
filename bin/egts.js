#!/usr/bin/env node
"use strict";
// The egts command: runs the compiled CLI (npm run build first).
const { main } = require("../dist/operator/src/cmd/egts.js");
const { exitAfterFlush, ignoreClosedPipes } = require("../dist/operator/src/cmd/exit.js");
ignoreClosedPipes();
main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (err) => {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitAfterFlush(1);
  },
);

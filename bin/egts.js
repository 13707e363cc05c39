#!/usr/bin/env node
"use strict";
// The egts command: runs the compiled CLI (npm run build first).
const { main } = require("../dist/operator/src/cmd/egts.js");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`egts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

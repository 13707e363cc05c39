/**
 * `egts standalone`'s port flags are checked before anything starts: a value that is not a port (a word, a
 * fraction, 0, above 65535) ends the command with exit 1 and a message naming the flag and the value.
 */
import assert from "node:assert/strict";
import { egts } from "../support/egts-cli";

const FLAGS = ["xds-port", "wasm-port", "metrics-port", "proxy-stats-port", "demo-backend-port"];

function refused(flag: string, value: string): void {
  const r = egts(["standalone", "--config-dir", "examples/quickstart", "--demo-backend", `--${flag}`, value]);
  assert.equal(r.code, 1, `--${flag} ${value}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`--${flag} "${value.replace(".", "\\.")}" is not a port number \\(1-65535\\)`));
  assert.doesNotMatch(r.stderr, /envoy started|demo backend listening/);
}

describe("egts standalone: port flags", () => {
  it("refuses a word, a fraction, 0 and 70000 as --xds-port", () => {
    for (const value of ["x18000", "18000.5", "0", "70000"]) refused("xds-port", value);
  });
  it("refuses a word in each port flag, naming that flag", () => {
    for (const flag of FLAGS) refused(flag, "nine");
  });
});

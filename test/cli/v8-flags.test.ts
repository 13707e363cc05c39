/**
 * EGTS_V8_FLAGS (cmd/v8-flags.ts, ADR 0041): the flags take effect in a running process, before the code they concern
 * is compiled. A child Node process applies them and asks V8 (natives syntax, itself one of the flags) in which tier a
 * function first compiled after that runs: baseline code with the default `--always-sparkplug`, the interpreter
 * without it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { DEFAULT_V8_FLAGS, loadEnv } from "../../operator/src/config/env";

const MODULE = join(__dirname, "../../operator/src/cmd/v8-flags");

/** V8's OptimizationStatus bits (runtime-test.cc). */
const INTERPRETED = 1 << 7;
const BASELINE = 1 << 15;

/** The flags applied and the status of a function compiled afterwards, in a child process with EGTS_V8_FLAGS=`flags`. */
function tierWith(flags: string): { applied: string[]; status: number } {
  const script = `
    const applied = require(${JSON.stringify(MODULE)}).applyV8Flags();
    const status = new Function("function f(x) { return x + 1; } f(1); return %GetOptimizationStatus(f);")();
    process.stdout.write(JSON.stringify({ applied, status }));`;
  const out = execFileSync(process.execPath, ["-e", script], {
    env: { ...process.env, EGTS_V8_FLAGS: flags },
    encoding: "utf8",
  });
  return JSON.parse(out) as { applied: string[]; status: number };
}

describe("EGTS_V8_FLAGS", function () {
  this.timeout(20_000);

  it("defaults to --always-sparkplug; an empty value keeps V8's defaults", function () {
    assert.equal(loadEnv({}).v8Flags, DEFAULT_V8_FLAGS);
    assert.equal(DEFAULT_V8_FLAGS, "--always-sparkplug");
    assert.equal(loadEnv({ EGTS_V8_FLAGS: " " }).v8Flags, "");
  });

  it("with --always-sparkplug a function runs baseline code from its first call", function () {
    const r = tierWith(`${DEFAULT_V8_FLAGS} --allow-natives-syntax`);
    assert.deepEqual(r.applied, ["--always-sparkplug", "--allow-natives-syntax"]);
    assert.ok((r.status & BASELINE) !== 0, `status ${r.status.toString(2)} has no baseline bit`);
    assert.equal(r.status & INTERPRETED, 0);
  });

  it("without it the same function is interpreted", function () {
    const r = tierWith("--allow-natives-syntax");
    assert.ok((r.status & INTERPRETED) !== 0, `status ${r.status.toString(2)} has no interpreted bit`);
    assert.equal(r.status & BASELINE, 0);
  });
});

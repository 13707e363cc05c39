/**
 * `egts x status` from a folder (-f): the conditions an offline translation gives, in egctl's tables (Go
 * tabwriter layout: columns at least 10 wide, 3 spaces of padding; newest condition first; the name on the first
 * row of each object), with -q, -v, -A, -n and the several-kinds types (all, xroute) as egctl's.
 */
import assert from "node:assert/strict";
import { egts } from "../support/egts-cli";
import { testdataDir } from "../support/golden";

const INPUT = testdataDir("cli", "eg-docs-translate.yaml");

function status(args: readonly string[]): string {
  const r = egts(["x", "status", ...args, "-f", INPUT]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe("egts x status -f (offline)", function () {
  this.timeout(60_000);

  it("gateway -n default: one row per condition, newest first, aligned as egctl's", () => {
    assert.equal(
      status(["gateway", "-n", "default"]),
      [
        "NAME      TYPE         STATUS    REASON",
        "eg        Programmed   True      Programmed",
        "          Accepted     True      Accepted",
        "",
      ].join("\n"),
    );
  });

  it("gtw -q: the newest condition only; another namespace: the header alone", () => {
    assert.equal(
      status(["gtw", "-q", "-n", "default"]),
      "NAME      TYPE         STATUS    REASON\neg        Programmed   True      Programmed\n",
    );
    assert.equal(status(["gateway", "-n", "foobar"]), "NAME      TYPE      STATUS    REASON\n");
  });

  it("httproute -v: parent, message, observed generation and transition time columns", () => {
    const lines = status(["httproute", "-v", "-n", "default"]).split("\n");
    assert.match(lines[0], /^NAME +PARENT +TYPE +STATUS +REASON +MESSAGE +OBSERVED GENERATION +LAST TRANSITION TIME$/);
    assert.match(lines[1], /^backend +gateway\/eg +ResolvedRefs +True +ResolvedRefs +\S.*\s0 *$/);
    assert.match(lines[2], /^ +Accepted +True +Accepted +\S/);
  });

  it("all -A: a table per kind with something to show, names typed, a NAMESPACE column for namespaced kinds", () => {
    const out = status(["all", "-A"]);
    const tables = out.split("\n\n").filter((t) => t !== "");
    assert.equal(tables.length, 3, out);
    assert.match(tables[0], /^NAME +TYPE +STATUS +REASON\ngatewayclass\/eg +/);
    assert.match(tables[1], /^NAMESPACE +NAME +TYPE +STATUS +REASON\ndefault +gateway\/eg +Programmed +True/);
    assert.match(tables[2], /^NAMESPACE +NAME +PARENT +TYPE.*\ndefault +httproute\/backend +gateway\/eg +ResolvedRefs/);
    assert.equal(status(["xroute", "-A"]), `${tables[2]}\n\n`);
  });

  it("an unknown type is refused naming the supported ones, exit 1", () => {
    const r = egts(["x", "status", "ingress", "-f", INPUT]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Error: unknown input resource type: ingress, supported input types are: GatewayClass, Gateway, HTTPRoute/,
    );
  });
});

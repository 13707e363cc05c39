/**
 * The fast YAML writer of the CLI's output (yaml-emit.ts) prints byte for byte what the `yaml` package prints with
 * the CLI's options, or gives up: on random JSON data (keys and strings that need quoting included) and on a
 * real `egts x translate` document, which it must print itself.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { emitYaml } from "../../operator/src/cmd/yaml-emit";
import { egts } from "../support/egts-cli";
import { testdataDir } from "../support/golden";

const OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false } as const;

/** Asserts the writer prints what the yaml package prints (or gives up); returns whether it printed. */
function same(data: unknown): boolean {
  const fast = emitYaml(data);
  if (fast === undefined) return false;
  assert.equal(fast, stringify(data, OPTIONS), JSON.stringify(data));
  return true;
}

const tricky = fc.constantFrom(
  "",
  " ",
  "a ",
  " a",
  "true",
  "True",
  "null",
  "~",
  "1",
  "-1",
  "+1",
  "1.5",
  "1e3",
  ".inf",
  ".nan",
  "0x1F",
  "0o17",
  "007",
  "-",
  "-a",
  "?",
  "?a",
  ":a",
  "a:",
  "a: b",
  "a:b",
  "a #b",
  "a#b",
  "#a",
  "@type",
  "'q'",
  '"q"',
  "it's",
  'say "hi"',
  "---",
  "---a",
  "...",
  "%x",
  "[a]",
  "{a}",
  "a,b",
  "*a",
  "&a",
  "!a",
  "|",
  ">",
  "`a",
  "\u0001",
  "\u0085",
  "é",
  "a\\b",
  "10s",
  "1.2.3.4",
  "type.googleapis.com/envoy.config.cluster.v3.Cluster",
);
const str = fc.oneof(tricky, fc.string({ maxLength: 10 }), fc.stringMatching(/^[a-z0-9 :#'"@./-]{0,10}$/));
const scalar = fc.oneof(str, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const data = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(str, tie("v"), { maxKeys: 4 }),
  ),
})).v;

describe("emitYaml (the CLI's fast YAML writer) prints what the yaml package prints", function () {
  this.timeout(60_000);

  it("on random JSON data, giving up only on multi-line strings and document markers", () => {
    fc.assert(
      fc.property(data, (d) => {
        const printed = same(d);
        if (!printed) assert.match(JSON.stringify(d), /\\n|"(---|\.\.\.)/, "gave up on plain data");
      }),
      { numRuns: 2000 },
    );
  });

  it("on an egts x translate document (config dump with bootstrap), which it prints itself", () => {
    const r = egts([
      "x",
      "translate",
      "--to",
      "gateway-api,xds",
      "-o",
      "json",
      "-f",
      testdataDir("cli", "eg-docs-translate.yaml"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(same(JSON.parse(r.stdout)), "the writer gave up on a translate document");
  });
});

/**
 * The fast YAML reader (simple-yaml.ts) against the `yaml` package it stands in for: on every input it either
 * gives up (undefined) or returns exactly the documents and first lines that package reads. Checked on every
 * YAML file of the repository, on tricky hand-written cases, and on random Kubernetes-like objects printed in
 * the styles people and tools write (with comments), plus that it does read the common styles.
 */
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { LineCounter, parseAllDocuments, stringify } from "yaml";
import { parseSimpleYaml } from "../../operator/src/provider/file/simple-yaml";
import { buildObjects, toYaml } from "../../bench/lib/fixtures";
import { repoRoot } from "../support/golden";

/** What the `yaml` package reads: each non-empty document's value and first line; undefined on any error. */
function complete(text: string): { value: unknown; line: number }[] | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const out: { value: unknown; line: number }[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) return undefined;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    out.push({ value, line: lines.linePos(doc.contents?.range?.[0] ?? 0).line });
  }
  return out;
}

/** The fast reader's non-empty documents (undefined when it gave up). */
function simple(text: string): { value: unknown; line: number }[] | undefined {
  return parseSimpleYaml(text, 100)?.filter((d) => d.value !== null && d.value !== undefined);
}

/** Asserts the fast reader agrees with the complete one (or gave up); returns whether it read the text. */
function agrees(text: string, what: string): boolean {
  const fast = simple(text);
  if (fast === undefined) return false;
  const full = complete(text);
  assert.ok(full !== undefined, `${what}: the fast reader accepted a text the yaml package refuses:\n${text}`);
  assert.deepStrictEqual(fast, full, `${what}:\n${text}`);
  return true;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === "node_modules" || n.startsWith(".")) return [];
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(n) ? [p] : [];
  });
}

const TRICKY = [
  "a: 1\nb: -2\nc: +3\nd: 007\ne: 1.5\nf: .inf\ng: 0x1f\nh: 0o17\ni: 1e3\nj: 99999999999999999999\n",
  "a: true\nb: True\nc: TRUE\nd: yes\ne: no\nf: on\ng: ~\nh: null\ni: Null\nj: NULL\nk:\nl: nil\n",
  'a: \'it\'\'s\'\nb: "q\\"x\\n\\u00e9"\nc: "\\x41"\nd: \'\'\ne: ""\nf: \'a # not a comment\'\ng: "b # nor this"\n',
  "a: b # comment\nc: d#e\n# full line\n  # indented comment\nf: 'x' # c\ng: \"y\"   # c\n",
  "a: http://x:80/p\nb: x:y\nc: -d\nd: --e\ne: -\nf: a: b\ng: 'a': b\nh: [1, 2]\ni: {a: 1}\nj: []\nk: {}\n",
  "key:\n- a\n- b\nother:\n  - c\n  -   d: 1\n      e: 2\n  -\n    f: 3\n  - - nested\n",
  "lit: |\n  line 1\n\n    indented\n  line 3\n\nstrip: |-\n  x\n  y\nkeep: |+\n  k\n\nfold: >\n  a\n  b\nend: 1\n",
  "lit: |\n  trailing blank\n\n\n# comment after\nnext: x\n",
  "empty: |\nnext: 1\n",
  "a: 1\na: 2\n",
  "__proto__: x\n",
  "1.0: x\n007: y\ntrue: z\nnull: w\n",
  "anchor: &a 1\nalias: *a\n",
  "tagged: !!str 1\n",
  "--- # c\na: 1\n---\n---\nb: 2\n...\n",
  "--- a\n",
  "%YAML 1.2\n---\na: 1\n",
  "a:\n  b:\n    c:\n      d: 1\n  e: 2\nf: 3\n",
  "a: multi\n  line\n",
  "a: 'multi\n  line'\n",
  "a:\n    b: 1\n  c: 2\n",
  "- a\n- b\n",
  "plain\n",
  "a: b\r\nc: d\r\n",
  "a: \tb\n",
  "a:  two spaces\nb:   'q'\n",
  "? complex\n: key\n",
  "a: @x\nb: `x`\nc: %x\n",
  "a: x:\nb: y\n",
  "a:\n- b\n  - c\n",
  "list:\n-   a: 1\n    b: 2\n-   c: 3\n",
  "\ufeffa: 1\n",
  "a: |2\n    x\n",
  "lit: |\n    a\n  b\n",
  "lit: |\n      \n    a\n",
  'x: "\\ud83d\\ude00"\ny: "\\uZZZZ"\n',
];

/** Inputs in the subset: the reader must not give up on them. */
const IN_SUBSET = [
  "a: b # comment\nc: d#e\n# full line\n  # indented comment\nf: 'x' # c\ng: \"y\"   # c\n",
  "key:\n- a\n- b\nother:\n  - c\n  -   d: 1\n      e: 2\n  -\n    f: 3\n",
  "a:  two spaces\nb:   'q'\nc: 'it''s'\nd: \"q\\\"x\\n\\u00e9\"\ne: -1\nf: 10s\ng: 1.2.3.4\nh: http://x:80/p\n",
  "--- # c\na: 1\n---\n---\nb: 2\n",
  "lit: |\n  line 1\n\n    indented\n  line 3\n\nstrip: |-\n  x\n  y\nend: [] # c\nmap: {}\n",
  "list:\n-   a: 1\n    b: 2\n-   c: 3\n",
];

const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("true", "null", "~", "1", "-1", "1.5", "0x10", "10s", "1.2.3.4", "a: b", "#x", "'q'", "a\nb", ""),
  fc.stringMatching(/^[a-z0-9./:_ -]{0,16}$/),
);
const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(key, tie("v"), { maxKeys: 4 }),
  ),
})).v;
const object = fc.record({
  apiVersion: fc.constant("v1"),
  kind: fc.constantFrom("ConfigMap", "Service"),
  metadata: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/) }),
  spec: value,
});
const style = fc.record({
  indentSeq: fc.boolean(),
  indent: fc.constantFrom(2, 4),
  defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL") as fc.Arbitrary<
    "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE" | "BLOCK_LITERAL"
  >,
  comments: fc.boolean(),
});

describe("parseSimpleYaml (the fast reader) agrees with the yaml package", function () {
  this.timeout(60_000);

  it("on every YAML file of the repository, and reads a good share of them", () => {
    const root = repoRoot();
    const files = ["testdata", "examples", "helm", "e2e"].flatMap((d) => yamlFiles(join(root, d)));
    assert.ok(files.length > 100, `found only ${files.length} YAML files`);
    const read = files.filter((f) => agrees(readFileSync(f, "utf8"), f));
    // Hand-written test inputs use flow collections (`metadata: { name: eg }`), which it leaves to the yaml package.
    assert.ok(read.length >= 100, `the fast reader read only ${read.length} of ${files.length} files`);
  });

  it("on tricky inputs: the same values or it gives up", () => {
    for (const t of TRICKY) agrees(t, JSON.stringify(t));
    for (const t of IN_SUBSET) {
      assert.ok(simple(t) !== undefined, `gave up on ${JSON.stringify(t)}`);
      agrees(t, JSON.stringify(t));
    }
  });

  it("reads the benchmark's manifests (the `yaml` package's default style)", () => {
    const t = toYaml(buildObjects(20, { backendKind: "Service", moreFilters: true }));
    assert.ok(agrees(t, "bench fixture"), "the fast reader gave up on the bench fixture");
    assert.equal(simple(t)!.length, 2 + 200 + 20);
  });

  it("on random edits of printed objects (characters YAML cares about inserted, deleted, lines re-indented)", () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("insert", "delete", "indent", "dedent"),
      char: fc.constantFrom(
        " ",
        "-",
        ":",
        "#",
        "'",
        '"',
        "|",
        ">",
        "[",
        "]",
        "{",
        "}",
        "&",
        "*",
        "!",
        "\\",
        "\n",
        "x",
        "1",
      ),
    });
    fc.assert(
      fc.property(object, style, fc.array(edit, { minLength: 1, maxLength: 3 }), (o, s, edits) => {
        let t = stringify(o, { ...s, lineWidth: 0 });
        for (const e of edits) {
          const at = e.at % (t.length + 1);
          const lineStart = t.lastIndexOf("\n", at - 1) + 1;
          if (e.kind === "insert") t = t.slice(0, at) + e.char + t.slice(at);
          else if (e.kind === "delete") t = t.slice(0, at) + t.slice(at + 1);
          else if (e.kind === "indent") t = `${t.slice(0, lineStart)} ${t.slice(lineStart)}`;
          else if (t[lineStart] === " ") t = t.slice(0, lineStart) + t.slice(lineStart + 1);
        }
        agrees(t, "edited");
      }),
      { numRuns: 3000 },
    );
  });

  it("on random objects printed in several styles, with comments", () => {
    fc.assert(
      fc.property(fc.array(object, { minLength: 1, maxLength: 3 }), style, (objects, s) => {
        const docs = objects.map((o) => stringify(o, { ...s, lineWidth: 0, aliasDuplicateObjects: false }));
        const withComments = docs.map((d) =>
          s.comments ? `# head\n${d.replace(/\n(?=[a-z])/g, "\n  # between\n")}` : d,
        );
        agrees(withComments.join("---\n"), "random");
      }),
      { numRuns: 400 },
    );
  });
});

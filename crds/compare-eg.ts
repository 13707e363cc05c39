/**
 * Compares the structure of our generated CRDs with Envoy Gateway's, kind by kind: properties, types, required
 * fields, enums, bounds, sizes, patterns, int-or-string and preserve-unknown-fields. Descriptions and defaults
 * are ours and not compared; Envoy Gateway's CEL rules (`x-kubernetes-validations`) are counted, not compared
 * (crds/generate.ts emits none; docs/policy-cel-validations.md lists them).
 *
 *   go mod download -json github.com/envoyproxy/gateway@v1.9.1      # prints the module's Dir
 *   node dist/crds/compare-eg.js <Dir>/charts/gateway-crds-helm/templates/generated [plural ...]
 *
 * Exits 1 when a compared kind differs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { findRepoRoot, FILE_PREFIX, type JSONSchemaProps } from "./generate";

/** A schema node as either side writes it (Envoy Gateway's may wrap enums and patterns in `allOf`). */
type Node = JSONSchemaProps & { readonly allOf?: readonly Node[]; readonly "x-kubernetes-validations"?: unknown[] };

const COMPARED = [
  "type",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
] as const;

/** The generic quantity pattern controller-gen adds to every resource.Quantity next to the field's own. */
const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/** The policy kinds and HTTPRouteFilter, by plural. */
const DEFAULT_PLURALS = [
  "clienttrafficpolicies",
  "backendtrafficpolicies",
  "securitypolicies",
  "envoyextensionpolicies",
  "envoypatchpolicies",
  "httproutefilters",
];

/** The spec schema of the CRD in `file` (Helm template lines removed). */
export function specSchemaOf(file: string): Node {
  const text = readFileSync(file, "utf8").replace(/\{\{[^}]*\}\}/g, "");
  const crd = parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; spec?: { versions: { schema: { openAPIV3Schema: Node } }[] } })
    .find((d) => d?.kind === "CustomResourceDefinition");
  const spec = crd?.spec?.versions[0]?.schema.openAPIV3Schema.properties?.spec;
  if (!spec) throw new Error(`${file}: no CustomResourceDefinition with a spec schema`);
  return spec as Node;
}

/** `node` with its `allOf` parts (enums, patterns) folded in. */
function folded(node: Node): Node {
  if (!node.allOf) return node;
  let out: Node = { ...node, allOf: undefined };
  for (const part of node.allOf) {
    if (part.enum) out = { ...out, enum: part.enum };
    if (part.pattern && part.pattern !== QUANTITY_PATTERN) out = { ...out, pattern: part.pattern };
  }
  return out;
}

const sorted = (xs: readonly unknown[] | undefined): string => JSON.stringify([...(xs ?? [])].map(String).sort());

/** Differences of the node itself (not its children). */
function nodeDiffs(ours: Node, b: Node, path: string): string[] {
  const out: string[] = [];
  for (const k of COMPARED) {
    if (JSON.stringify(ours[k]) !== JSON.stringify(b[k])) {
      out.push(`${path}: ${k} ours=${JSON.stringify(ours[k])} eg=${JSON.stringify(b[k])}`);
    }
  }
  if (sorted(ours.enum) !== sorted(b.enum)) out.push(`${path}: enum ours=${sorted(ours.enum)} eg=${sorted(b.enum)}`);
  if (sorted(ours.required) !== sorted(b.required)) {
    out.push(`${path}: required ours=${sorted(ours.required)} eg=${sorted(b.required)}`);
  }
  return out;
}

/** Differences in which properties exist, and below those both sides have. */
function propertyDiffs(ours: Node, b: Node, path: string, cel: { count: number }): string[] {
  const mine = ours.properties ?? {};
  const theirs = b.properties ?? {};
  const out: string[] = [];
  for (const p of Object.keys(mine)) if (!(p in theirs)) out.push(`${path}.${p}: only ours`);
  for (const p of Object.keys(theirs)) if (!(p in mine)) out.push(`${path}.${p}: only Envoy Gateway's`);
  for (const p of Object.keys(mine)) {
    if (p in theirs) out.push(...compareSchemas(mine[p]!, theirs[p]!, `${path}.${p}`, cel));
  }
  return out;
}

/** Differences between `ours` and `theirs` below `path`, one line each; CEL rules of theirs counted in `cel`. */
export function compareSchemas(ours: Node, theirs: Node, path: string, cel = { count: 0 }): string[] {
  const b = folded(theirs);
  cel.count += b["x-kubernetes-validations"]?.length ?? 0;
  const out = [...nodeDiffs(ours, b, path), ...propertyDiffs(ours, b, path, cel)];
  const nested: [Node | undefined, Node | undefined, string][] = [
    [ours.items, b.items, `${path}[]`],
    [ours.additionalProperties, b.additionalProperties, `${path}{}`],
  ];
  for (const [x, y, p] of nested) if (x || y) out.push(...compareSchemas(x ?? {}, y ?? {}, p, cel));
  return out;
}

function main(argv: readonly string[]): number {
  const [egDir, ...plurals] = argv;
  if (!egDir) {
    console.error("usage: node dist/crds/compare-eg.js <Envoy Gateway's generated CRD folder> [plural ...]");
    return 2;
  }
  const root = findRepoRoot();
  let differing = 0;
  for (const plural of plurals.length ? plurals : DEFAULT_PLURALS) {
    const file = `${FILE_PREFIX}${plural}.yaml`;
    const cel = { count: 0 };
    const diffs = compareSchemas(specSchemaOf(join(root, "crds", file)), specSchemaOf(join(egDir, file)), "spec", cel);
    console.log(`${plural}: ${diffs.length} structural differences; ${cel.count} CEL rules in Envoy Gateway's`);
    for (const d of diffs) console.log(`  ${d}`);
    if (diffs.length) differing++;
  }
  return differing ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

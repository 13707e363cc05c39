/**
 * Generates our CustomResourceDefinitions (crds/gateway.envoyproxy.io_*.yaml) from the TypeScript types in
 * operator/src/resources/, with the TypeScript compiler API, so the schemas cannot drift from the types the
 * operator reads.
 *
 *   node dist/crds/generate.js           rewrite crds/ (npm run gen:crds)
 *   node dist/crds/generate.js --check   regenerate into a temporary folder; fail listing the files that
 *                                        differ from crds/ (npm run check:crds, CI)
 *
 * Mapping (every type must map; anything else fails with the type, the field path and file:line):
 * - doc comment text → `description`; `@default X` stays in the description ("Defaults to X.") and no
 *   `default:` is emitted, so the API server never writes values the user did not set; `@deprecated X` is
 *   appended as "Deprecated: X."
 * - `string` → string (with `@minLength N`, `@maxLength N`, `@pattern RE`); `number` → integer (with
 *   `@minimum N` / `@maximum N`), or number with `@format float`; `boolean` → boolean; arrays take
 *   `@minItems N` / `@maxItems N`
 * - a union of string literals → string enum, of number literals → integer enum; `number | string` →
 *   `x-kubernetes-int-or-string`
 * - arrays → `items`; interfaces and inline object types → `properties` + `required` (non-optional ones)
 * - `Record<string, T>` → `additionalProperties`; `Record<string, unknown>` → an object with
 *   `x-kubernetes-preserve-unknown-fields`; `unknown` → any JSON value (no `type`, preserve-unknown-fields);
 *   properties next to an `unknown` index signature → both
 * - value constraints on a type alias (`/** @pattern ... *\/ type Duration = string`) apply to every field of
 *   that type, and to the items of an array of it; the field's own tags win
 * - `Record<string, never>` → an object that takes no fields (`{}` as a switch, e.g. `gzip: {}`)
 * - `readonly` is ignored.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { stringify } from "yaml";
import { ENVOY_GATEWAY_GROUP } from "../operator/src/resources/envoy-gateway";

/** API version of every kind. */
export const VERSION = "v1alpha1";

/** Generated file names start with this; other files in crds/ are left alone. */
export const FILE_PREFIX = `${ENVOY_GATEWAY_GROUP}_`;

/** An OpenAPI v3 schema node, the subset structural CRD schemas use. */
export interface JSONSchemaProps {
  readonly type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JSONSchemaProps>>;
  readonly required?: readonly string[];
  readonly items?: JSONSchemaProps;
  readonly additionalProperties?: JSONSchemaProps;
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly anyOf?: readonly JSONSchemaProps[];
  readonly "x-kubernetes-int-or-string"?: true;
  readonly "x-kubernetes-preserve-unknown-fields"?: true;
}

/** One kind to emit a CRD for. */
export interface CrdKind {
  /** Kind, e.g. EnvoyProxy. */
  readonly kind: string;
  /** Plural resource name, e.g. envoyproxies. */
  readonly plural: string;
  /** kubectl short names, as in Envoy Gateway. */
  readonly shortNames: readonly string[];
  /** Repository-relative TypeScript file declaring the spec type. */
  readonly source: string;
  /** Name of the spec type in `source`. */
  readonly specType: string;
  /** Description of the kind (the schema's root). */
  readonly description: string;
}

const RESOURCES = "operator/src/resources";

/** The kinds, sorted by kind. Short names and the `envoy-gateway` category are Envoy Gateway's. */
export const KINDS: readonly CrdKind[] = [
  {
    kind: "Backend",
    plural: "backends",
    shortNames: ["be"],
    source: `${RESOURCES}/envoy-gateway.ts`,
    specType: "BackendSpec",
    description:
      "Backend is an endpoint outside the Service API (an IP address, a DNS name or a unix socket) that routes " +
      "can send traffic to through a backendRef of group gateway.envoyproxy.io and kind Backend.",
  },
  {
    kind: "BackendTrafficPolicy",
    plural: "backendtrafficpolicies",
    shortNames: ["btp"],
    source: `${RESOURCES}/backend-traffic-policy.ts`,
    specType: "BackendTrafficPolicySpec",
    description: "BackendTrafficPolicy configures how the proxies send traffic to the backends of its targets.",
  },
  {
    kind: "ClientTrafficPolicy",
    plural: "clienttrafficpolicies",
    shortNames: ["ctp"],
    source: `${RESOURCES}/client-traffic-policy.ts`,
    specType: "ClientTrafficPolicySpec",
    description: "ClientTrafficPolicy configures how the proxies of its target Gateways accept downstream traffic.",
  },
  {
    kind: "EnvoyExtensionPolicy",
    plural: "envoyextensionpolicies",
    shortNames: ["eep"],
    source: `${RESOURCES}/envoy-extension-policy.ts`,
    specType: "EnvoyExtensionPolicySpec",
    description: "EnvoyExtensionPolicy adds extensions (Wasm, Lua, external processing) to the traffic of its targets.",
  },
  {
    kind: "EnvoyPatchPolicy",
    plural: "envoypatchpolicies",
    shortNames: ["epp"],
    source: `${RESOURCES}/envoy-patch-policy.ts`,
    specType: "EnvoyPatchPolicySpec",
    description: "EnvoyPatchPolicy patches the xDS configuration generated for a Gateway before it is sent to Envoy.",
  },
  {
    kind: "EnvoyProxy",
    plural: "envoyproxies",
    shortNames: ["eproxy"],
    source: `${RESOURCES}/envoy-proxy.ts`,
    specType: "EnvoyProxySpec",
    description:
      "EnvoyProxy says how the Envoy proxies of a GatewayClass or Gateway are deployed; GatewayClasses and " +
      "Gateways refer to it through parametersRef.",
  },
  {
    kind: "HTTPRouteFilter",
    plural: "httproutefilters",
    shortNames: ["hrf"],
    source: `${RESOURCES}/http-route-filter.ts`,
    specType: "HTTPRouteFilterSpec",
    description: "HTTPRouteFilter is an Envoy Gateway filter that HTTPRoute rules use through an ExtensionRef filter.",
  },
  {
    kind: "SecurityPolicy",
    plural: "securitypolicies",
    shortNames: ["sp"],
    source: `${RESOURCES}/security-policy.ts`,
    specType: "SecurityPolicySpec",
    description: "SecurityPolicy configures authentication, authorization and CORS for the traffic of its targets.",
  },
];

/** A type the generator cannot express as a structural schema. */
export class CrdTypeError extends Error {
  override readonly name = "CrdTypeError";
}

/** Where a type was met: its field path and the declaration to point at. */
interface Site {
  readonly path: string;
  readonly node: ts.Node | undefined;
}

const KNOWN_TAGS = new Set([
  ...["default", "minimum", "maximum", "deprecated", "see", "example", "remarks"],
  ...["minItems", "maxItems", "minLength", "maxLength", "pattern", "format"],
]);

/** Tags on a type alias that every field of that type inherits. */
const CONSTRAINT_TAGS = new Set(["minimum", "maximum", "minLength", "maxLength", "pattern", "format"]);

const PRESERVE: JSONSchemaProps = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

/** Any JSON value (an object, a list, a string, a number, ...), kept as written. */
const ANY_JSON: JSONSchemaProps = { "x-kubernetes-preserve-unknown-fields": true };

const INT_OR_STRING: JSONSchemaProps = {
  anyOf: [{ type: "integer" }, { type: "string" }],
  "x-kubernetes-int-or-string": true,
};

/** Turns TypeScript types into structural schemas with one type checker. */
export class SchemaMapper {
  private readonly stack: ts.Type[] = [];

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly root: string,
  ) {}

  /** The schema of the interface or type alias `name` declared in `file`, with its doc comment. */
  schemaOfDeclaration(sourceFile: ts.SourceFile, name: string): JSONSchemaProps {
    const decl = sourceFile.statements.find(
      (s): s is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
        (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === name,
    );
    if (!decl) throw new CrdTypeError(`crds: no interface or type ${name} in ${this.where(sourceFile)}`);
    const symbol = this.checker.getSymbolAtLocation(decl.name);
    const schema = this.schemaOf(this.checker.getTypeAtLocation(decl.name), { path: name, node: decl });
    return symbol ? this.annotate(schema, symbol, { path: name, node: decl }) : schema;
  }

  /** The schema of `type`, met at `site`. */
  schemaOf(type: ts.Type, site: Site): JSONSchemaProps {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) this.fail(type, site, "`any` says nothing; use `unknown` or a real type");
    if (f & ts.TypeFlags.Unknown) return ANY_JSON;
    if (f & ts.TypeFlags.String) return { type: "string" };
    if (f & ts.TypeFlags.Number) return { type: "integer" };
    if (f & ts.TypeFlags.Boolean) return { type: "boolean" };
    if (type.isStringLiteral()) return { type: "string", enum: [type.value] };
    if (type.isNumberLiteral()) return { type: "integer", enum: [type.value] };
    if (type.isUnion()) return this.union(type.types, type, site);
    if (this.checker.isTupleType(type)) this.fail(type, site, "tuples have no structural schema");
    if (this.checker.isArrayType(type)) return this.array(type, site);
    if (f & ts.TypeFlags.Object) return this.object(type, site);
    return this.fail(type, site, "no schema for this kind of type");
  }

  private union(members: readonly ts.Type[], type: ts.Type, site: Site): JSONSchemaProps {
    if (members.length === 1) return this.schemaOf(members[0]!, site);
    if (members.every((m) => m.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
    if (members.every((m) => m.isStringLiteral())) {
      const values = members.map((m) => (m as ts.StringLiteralType).value);
      return { type: "string", enum: [...values].sort() };
    }
    if (members.every((m) => m.isNumberLiteral())) {
      const values = members.map((m) => (m as ts.NumberLiteralType).value);
      return { type: "integer", enum: [...values].sort((a, b) => a - b) };
    }
    const numberAndString =
      members.length === 2 &&
      members.some((m) => m.flags & ts.TypeFlags.Number) &&
      members.some((m) => m.flags & ts.TypeFlags.String);
    if (numberAndString) return INT_OR_STRING;
    return this.fail(
      type,
      site,
      "only unions of string literals, of number literals, and `number | string` have a schema",
    );
  }

  private array(type: ts.Type, site: Site): JSONSchemaProps {
    const [element] = this.checker.getTypeArguments(type as ts.TypeReference);
    if (!element) return this.fail(type, site, "array without an element type");
    return { type: "array", items: this.schemaOf(element, { path: `${site.path}[]`, node: site.node }) };
  }

  private object(type: ts.Type, site: Site): JSONSchemaProps {
    if (type.getCallSignatures().length || type.getConstructSignatures().length) {
      this.fail(type, site, "functions are not data");
    }
    if (this.stack.includes(type)) this.fail(type, site, "recursive types have no structural schema");
    this.stack.push(type);
    try {
      return this.objectBody(type, site);
    } finally {
      this.stack.pop();
    }
  }

  private objectBody(type: ts.Type, site: Site): JSONSchemaProps {
    const props = this.checker.getPropertiesOfType(type);
    const methods = props.filter((p) => p.flags & ts.SymbolFlags.Method).map((p) => p.name);
    if (methods.length) this.fail(type, site, `methods (${methods.slice(0, 3).join(", ")}) are not data`);
    const index = this.indexSignature(type, site);
    const open = index !== undefined && (index.type.flags & ts.TypeFlags.Unknown) !== 0;
    if (index && !open) return this.mapBody(type, index, props.length, site);
    if (!props.length) {
      if (open) return PRESERVE;
      // A marker object whose presence is the setting (e.g. `http3: {}`): declared empty on purpose.
      if (isMarker(type)) return { type: "object" };
      return this.fail(type, site, "an object without properties would drop every field");
    }
    const properties: Record<string, JSONSchemaProps> = {};
    const required: string[] = [];
    for (const p of props) {
      properties[p.name] = this.property(p, site.path);
      if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.name);
    }
    return {
      type: "object",
      properties,
      ...(required.length ? { required: required.sort() } : {}),
      ...(open ? { "x-kubernetes-preserve-unknown-fields": true } : {}),
    };
  }

  /** The type's string index signature, if any (other index keys have no schema). */
  private indexSignature(type: ts.Type, site: Site): ts.IndexInfo | undefined {
    const indexes = this.checker.getIndexInfosOfType(type);
    if (indexes.some((i) => !(i.keyType.flags & ts.TypeFlags.String))) {
      this.fail(type, site, "only string index signatures map to a schema");
    }
    return indexes[0];
  }

  /** A map type (`Record<string, T>`): its values' schema as `additionalProperties`. */
  private mapBody(type: ts.Type, index: ts.IndexInfo, named: number, site: Site): JSONSchemaProps {
    if (named) this.fail(type, site, "named properties next to a typed index signature");
    // `Record<string, never>`: an object that takes no fields (an empty settings block such as `gzip: {}`).
    if (index.type.flags & ts.TypeFlags.Never) return { type: "object" };
    const values = { path: `${site.path}{}`, node: index.declaration ?? site.node };
    return { type: "object", additionalProperties: this.schemaOf(index.type, values) };
  }

  private property(symbol: ts.Symbol, owner: string): JSONSchemaProps {
    const site = { path: `${owner}.${symbol.name}`, node: symbol.valueDeclaration ?? symbol.declarations?.[0] };
    const type = this.checker.getTypeOfSymbol(symbol);
    let schema: JSONSchemaProps;
    if (symbol.flags & ts.SymbolFlags.Optional && type.isUnion()) {
      // An optional property's type includes `undefined`; "optional" is said by `required` instead.
      const defined = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      schema = this.union(defined, type, site);
    } else {
      schema = this.schemaOf(type, site);
    }
    const typeNode = site.node && ts.isPropertySignature(site.node) ? site.node.type : undefined;
    const element = arrayElement(typeNode);
    if (element && schema.items) {
      schema = { ...schema, items: this.constrain(schema.items, this.aliasTags(element), site) };
    }
    return this.annotate(schema, symbol, site, element ? new Map() : this.aliasTags(typeNode));
  }

  /**
   * The value constraints (`@pattern`, `@minimum`, ...) written on the type alias a type node names, e.g.
   * `Duration`: every field of that type gets them.
   */
  private aliasTags(node: ts.TypeNode | undefined): Map<string, string> {
    const out = new Map<string, string>();
    if (!node || !ts.isTypeReferenceNode(node)) return out;
    let symbol = this.checker.getSymbolAtLocation(node.typeName);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const decl = symbol?.declarations?.find(ts.isTypeAliasDeclaration);
    if (!decl) return out;
    for (const tag of ts.getJSDocTags(decl)) {
      if (!CONSTRAINT_TAGS.has(tag.tagName.text)) continue;
      out.set(tag.tagName.text, (ts.getTextOfJSDocComment(tag.comment) ?? "").trim().replace(/\s+/g, " "));
    }
    return out;
  }

  /** Adds the doc comment (description, bounds) of `symbol`, over those `inherited` from its type, to `schema`. */
  private annotate(
    schema: JSONSchemaProps,
    symbol: ts.Symbol,
    site: Site,
    inherited: ReadonlyMap<string, string> = new Map(),
  ): JSONSchemaProps {
    const tags = new Map<string, string>(inherited);
    for (const tag of symbol.getJsDocTags(this.checker)) {
      if (!KNOWN_TAGS.has(tag.name)) this.failAt(site, `unknown doc tag @${tag.name}`);
      tags.set(tag.name, ts.displayPartsToString(tag.text).trim().replace(/\s+/g, " "));
    }
    const description = describe(ts.displayPartsToString(symbol.getDocumentationComment(this.checker)), tags);
    return { ...this.constrain(schema, tags, site), ...(description ? { description } : {}) };
  }

  /** `schema` with the value constraints of `tags`: number format, bounds, sizes, pattern. */
  private constrain(schema: JSONSchemaProps, tags: ReadonlyMap<string, string>, site: Site): JSONSchemaProps {
    const typed = this.format(schema, tags.get("format"), site);
    return {
      ...typed,
      ...this.bound(typed, "minimum", tags.get("minimum"), site),
      ...this.bound(typed, "maximum", tags.get("maximum"), site),
      ...this.sized(typed, "array", ["minItems", "maxItems"], tags, site),
      ...this.sized(typed, "string", ["minLength", "maxLength"], tags, site),
      ...this.patterned(typed, tags.get("pattern"), site),
    };
  }

  /** `@format float` makes a number field a JSON number instead of an integer. */
  private format(schema: JSONSchemaProps, text: string | undefined, site: Site): JSONSchemaProps {
    if (text === undefined) return schema;
    if (text !== "float") this.failAt(site, `@format ${JSON.stringify(text)}: only \`float\` is known`);
    if (schema.type !== "integer") this.failAt(site, "@format float on a field that is not a number");
    return { ...schema, type: "number" };
  }

  private sized(
    schema: JSONSchemaProps,
    type: "array" | "string",
    names: readonly ["minItems", "maxItems"] | readonly ["minLength", "maxLength"],
    tags: ReadonlyMap<string, string>,
    site: Site,
  ): object {
    const out: Record<string, number> = {};
    for (const name of names) {
      const text = tags.get(name);
      if (text === undefined) continue;
      if (schema.type !== type)
        this.failAt(site, `@${name} on a field that is not a${type === "array" ? "n" : ""} ${type}`);
      if (!/^\d+$/.test(text)) this.failAt(site, `@${name} ${JSON.stringify(text)} is not a count`);
      out[name] = Number(text);
    }
    return out;
  }

  private patterned(schema: JSONSchemaProps, text: string | undefined, site: Site): object {
    if (text === undefined) return {};
    if (schema.type !== "string" && !schema["x-kubernetes-int-or-string"]) {
      this.failAt(site, "@pattern on a field that is not a string (or int-or-string)");
    }
    return { pattern: text };
  }

  private bound(schema: JSONSchemaProps, tag: "minimum" | "maximum", text: string | undefined, site: Site): object {
    if (text === undefined) return {};
    if (schema.type !== "integer" && schema.type !== "number") {
      this.failAt(site, `@${tag} on a field that is not a number`);
    }
    if (!/^-?\d+$/.test(text)) this.failAt(site, `@${tag} ${JSON.stringify(text)} is not an integer`);
    return { [tag]: Number(text) };
  }

  private fail(type: ts.Type, site: Site, reason: string): never {
    return this.failAt(site, `type \`${this.checker.typeToString(type)}\`: ${reason}`);
  }

  private failAt(site: Site, reason: string): never {
    throw new CrdTypeError(`crds: cannot map ${site.path} (${this.where(site.node)}): ${reason}`);
  }

  private where(node: ts.Node | undefined): string {
    if (!node) return "unknown location";
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${relative(this.root, sf.fileName)}:${line + 1}`;
  }
}

/** The element type node of an array type node (`T[]`, `readonly T[]`), if it is one. */
function arrayElement(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
  let n = node;
  while (n && (ts.isTypeOperatorNode(n) || ts.isParenthesizedTypeNode(n))) n = n.type;
  return n && ts.isArrayTypeNode(n) ? n.elementType : undefined;
}

/** A description from doc text and its tags. */
function describe(text: string, tags: ReadonlyMap<string, string>): string {
  // Doc comments wrap at the source's line width; descriptions keep paragraphs and list items only.
  const unwrapped = text
    .trim()
    .split(/\n\s*\n/)
    .map((para) => para.replace(/\n(?!\s*[-*] )\s*/g, " "))
    .join("\n\n");
  const parts = [unwrapped];
  const dflt = tags.get("default");
  if (dflt) parts.push(`Defaults to ${dflt.replace(/\.$/, "")}.`);
  const deprecated = tags.get("deprecated");
  if (deprecated !== undefined)
    parts.push(deprecated ? `Deprecated: ${deprecated.replace(/\.$/, "")}.` : "Deprecated.");
  return parts.filter(Boolean).join(" ");
}

/** A type-checked program over `files` (absolute); fails on any TypeScript error in them. */
export function loadProgram(files: readonly string[]): ts.Program {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ["lib.es2022.d.ts"],
    types: [],
    skipLibCheck: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => "\n",
    };
    throw new Error(`crds: the resource types do not compile:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  return program;
}

/** The spec schema of every kind, by kind. */
export function specSchemas(root: string, kinds: readonly CrdKind[] = KINDS): Map<string, JSONSchemaProps> {
  const files = [...new Set(kinds.map((k) => join(root, k.source)))].sort();
  const program = loadProgram(files);
  const mapper = new SchemaMapper(program.getTypeChecker(), root);
  const out = new Map<string, JSONSchemaProps>();
  for (const k of kinds) {
    const sf = program.getSourceFile(join(root, k.source));
    if (!sf) throw new Error(`crds: cannot read ${k.source}`);
    out.set(k.kind, mapper.schemaOfDeclaration(sf, k.specType));
  }
  return out;
}

/** The CustomResourceDefinition of one kind, as plain data. */
export function crdOf(kind: CrdKind, spec: JSONSchemaProps): Record<string, unknown> {
  const openAPIV3Schema: JSONSchemaProps = {
    description: kind.description,
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: { type: "string", description: "API version of this object: gateway.envoyproxy.io/v1alpha1." },
      kind: { type: "string", description: `Kind of this object: ${kind.kind}.` },
      metadata: { type: "object" },
      spec,
      status: {
        ...PRESERVE,
        description: "Observed state, written by the controller (conditions and, for policies, ancestors).",
      },
    },
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${kind.plural}.${ENVOY_GATEWAY_GROUP}` },
    spec: {
      group: ENVOY_GATEWAY_GROUP,
      names: {
        categories: ["envoy-gateway"],
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        shortNames: [...kind.shortNames],
        singular: kind.kind.toLowerCase(),
      },
      scope: "Namespaced",
      versions: [
        { name: VERSION, served: true, storage: true, schema: { openAPIV3Schema }, subresources: { status: {} } },
      ],
    },
  };
}

const HEADER = [
  "# Generated by crds/generate.ts from the TypeScript types in operator/src/resources/. Do not edit.",
  "# Regenerate with `npm run gen:crds`; CI fails on drift (`npm run check:crds`).",
];

/** File name of a kind's CRD. */
export function fileNameOf(kind: CrdKind): string {
  return `${FILE_PREFIX}${kind.plural}.yaml`;
}

/** Every CRD file: name → content. Deterministic: map keys sorted, enums and `required` sorted. */
export function renderCrds(root: string, kinds: readonly CrdKind[] = KINDS): Map<string, string> {
  const specs = specSchemas(root, kinds);
  const files = new Map<string, string>();
  for (const k of [...kinds].sort((a, b) => a.plural.localeCompare(b.plural))) {
    const body = stringify(crdOf(k, specs.get(k.kind)!), {
      sortMapEntries: true,
      lineWidth: 0,
      aliasDuplicateObjects: false,
    });
    files.set(fileNameOf(k), `${HEADER.join("\n")}\n---\n${body}`);
  }
  return files;
}

/** The generated files currently in `dir`. */
function generatedFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(FILE_PREFIX) && f.endsWith(".yaml"))
    .sort();
}

/** Writes the CRDs into `dir`, removing generated files of kinds that no longer exist. */
export function writeCrds(root: string, dir: string): string[] {
  const files = renderCrds(root);
  mkdirSync(dir, { recursive: true });
  for (const stale of generatedFilesIn(dir)) if (!files.has(stale)) rmSync(join(dir, stale));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.keys()];
}

/** Names of the files that differ between two folders of generated CRDs (missing, extra or changed). */
export function diffCrds(expectedDir: string, actualDir: string): string[] {
  const expected = generatedFilesIn(expectedDir);
  const actual = generatedFilesIn(actualDir);
  const names = [...new Set([...expected, ...actual])].sort();
  return names.filter((n) => {
    if (!expected.includes(n) || !actual.includes(n)) return true;
    return readFileSync(join(expectedDir, n), "utf8") !== readFileSync(join(actualDir, n), "utf8");
  });
}

/** Regenerates into a temporary folder and lists the files of `dir` that are out of date. */
export function checkCrds(root: string, dir = join(root, "crds")): string[] {
  const tmp = mkdtempSync(join(tmpdir(), "egts-crds-check-"));
  try {
    writeCrds(root, tmp);
    return diffCrds(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The repository root: above this file (source or compiled), else the working directory. */
export function findRepoRoot(): string {
  const marker = (d: string): boolean => existsSync(join(d, RESOURCES, "envoy-proxy.ts"));
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (marker(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  if (marker(process.cwd())) return process.cwd();
  throw new Error(`crds: cannot find ${RESOURCES} above ${__dirname} or in ${process.cwd()}`);
}

/** Where the CRDs go: crds/ and the Helm chart's crds/ (Helm installs that folder before the templates). */
const OUTPUT_DIRS = ["crds", join("helm", "egts", "crds")];

function main(argv: readonly string[]): number {
  const root = findRepoRoot();
  if (argv.includes("--check")) {
    const stale = OUTPUT_DIRS.flatMap((d) => checkCrds(root, join(root, d)).map((f) => join(d, f)));
    if (stale.length) {
      console.error(`generated CRDs are out of date (${stale.join(", ")}); run: npm run gen:crds`);
      return 1;
    }
    console.log(`${OUTPUT_DIRS.join(" and ")} are up to date`);
    return 0;
  }
  for (const d of OUTPUT_DIRS) {
    const written = writeCrds(root, join(root, d));
    console.log(`generated ${written.length} CRDs into ${d}/`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}

/**
 * An interface declared with no members and a doc comment saying "no settings": Envoy Gateway's marker
 * objects (`http3: {}`, `stateless: {}`), whose presence is the setting.
 */
function isMarker(type: ts.Type): boolean {
  const decl = type.getSymbol()?.declarations?.[0];
  return (
    decl !== undefined &&
    ts.isInterfaceDeclaration(decl) &&
    decl.members.length === 0 &&
    (decl.heritageClauses ?? []).length === 0 &&
    ts.getJSDocCommentsAndTags(decl).some((d) => /no settings/.test(d.getText()))
  );
}

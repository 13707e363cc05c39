/**
 * EnvoyProxy `bootstrap`: egts's bootstrap (bootstrap.ts) merged with the user's (Merge: proto merge semantics,
 * singular fields replaced, lists appended, maps merged by key, durations replaced), replaced by it (Replace), or
 * patched by RFC 6902 operations (JSONPatch, xds/patch/json-patch.ts as EnvoyPatchPolicy). Every bootstrap is read
 * against Envoy's proto schema (the descriptor set EnvoyPatchPolicy uses), so an unknown field or a wrong type is
 * a message, never a proxy that fails to start; then Envoy Gateway's rules: the dynamic resources may not change
 * (but for `initial_fetch_timeout`) and the xDS cluster must keep its endpoint. The node identity is always egts's
 * (Envoy Gateway sets it on the command line, which wins over the bootstrap). Pure.
 */
import type { DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import type { BootstrapCustomIr, ProxyRuntimeIr } from "../ir/infra-ir";
import type { JsonPatchIr } from "../ir/patch-ir";
import { applyOperation, operationProblem } from "../xds/patch/json-patch";
import { xdsRegistry } from "../xds/patch/protojson";
import { protobufPackage } from "../optional-packages";
import { XDS_CLUSTER } from "./bootstrap";

/** The customised bootstrap, or why it cannot be used. */
export type CustomBootstrapResult = { readonly bootstrap: Record<string, unknown> } | { readonly problem: string };

const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";

/**
 * Message types whose proto3 JSON is not an object of their fields: a Merge replaces them whole (as Envoy Gateway's
 * merge replaces durations, and as proto merge replaces an Any's bytes), except Struct, merged by key.
 */
function replacedWhole(typeName: string): boolean {
  return typeName.startsWith("google.protobuf.") && typeName !== "google.protobuf.Struct";
}

function bootstrapDesc(): DescMessage {
  const d = xdsRegistry().getMessage(BOOTSTRAP);
  if (!d) throw new Error(`the descriptor set lacks ${BOOTSTRAP}`);
  return d;
}

/** `json` read as a Bootstrap and written back (proto field names, defaults left out); throws the schema's error. */
function canonical(json: unknown): JsonObject {
  const desc = bootstrapDesc();
  const reg = xdsRegistry();
  const { fromJson, toJson } = protobufPackage();
  return toJson(desc, fromJson(desc, json as JsonValue, { registry: reg }), {
    registry: reg,
    useProtoFieldName: true,
  }) as JsonObject;
}

/** Proto merge of canonical `src` into canonical `dst` (both of message type `desc`). */
function mergeInto(desc: DescMessage, dst: JsonObject, src: JsonObject): void {
  for (const [key, value] of Object.entries(src)) {
    const f = desc.fields.find((x) => x.name === key);
    if (!f) continue; // canonical JSON has only schema fields
    for (const other of f.oneof?.fields ?? []) if (other !== f) delete dst[other.name];
    dst[key] = mergedField(f, dst[key], value);
  }
}

/** One field of a merge: lists appended, maps and Structs merged by key, messages merged, the rest replaced. */
function mergedField(f: DescField, have: JsonValue | undefined, value: JsonValue): JsonValue {
  if (f.fieldKind === "list") return [...((have as JsonValue[] | undefined) ?? []), ...(value as JsonValue[])];
  const byKey = f.fieldKind === "map" || (f.fieldKind === "message" && f.message.typeName === "google.protobuf.Struct");
  if (byKey) return { ...(isObject(have) ? have : {}), ...(value as JsonObject) };
  if (f.fieldKind === "message" && !replacedWhole(f.message.typeName) && isObject(have) && isObject(value)) {
    mergeInto(f.message, have, value);
    return have;
  }
  return value;
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The user's YAML bootstrap as JSON, or the parser's message. */
function yamlValue(value: string | undefined): { json: unknown } | { error: string } {
  if (value === undefined) return { error: "value must be set" };
  try {
    return { json: parseYaml(value) ?? {} };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The bootstrap before Envoy Gateway's rules: merged, replaced or patched; or Envoy Gateway's message. */
function applied(base: JsonObject, custom: BootstrapCustomIr): { json: JsonObject } | { problem: string } {
  if (custom.type === "JSONPatch") return patched(base, custom.jsonPatches ?? []);
  const user = yamlValue(custom.value);
  if (custom.type === "Replace") {
    if ("error" in user) return { problem: `unable to unmarshal user bootstrap: ${user.error}` };
    try {
      return { json: canonical(user.json) };
    } catch (err) {
      return { problem: `unable to unmarshal user bootstrap: ${(err as Error).message}` };
    }
  }
  let src: JsonObject;
  try {
    if ("error" in user) throw new Error(user.error);
    src = canonical(user.json);
  } catch (err) {
    return { problem: `failed to parse override bootstrap config: ${(err as Error).message}` };
  }
  const dst = structuredClone(base);
  mergeInto(bootstrapDesc(), dst, src);
  return { json: dst };
}

/** `base` with the operations applied in order, read against the schema. */
function patched(base: JsonObject, ops: readonly JsonPatchIr[]): { json: JsonObject } | { problem: string } {
  if (ops.length === 0) return { problem: "provided bootstrap patch doesn't match the configured patch type" };
  let doc = structuredClone(base) as JsonValue;
  for (const op of ops) {
    const bad = operationProblem(op);
    if (bad) return { problem: bad };
    const r = applyOperation(doc as never, op);
    if (r.errors.length > 0) return { problem: r.errors.join("; ") };
    doc = r.doc as JsonValue;
  }
  try {
    return { json: canonical(doc) };
  } catch (err) {
    return { problem: `unable to unmarshal user bootstrap: ${(err as Error).message}` };
  }
}

/** The dynamic resources without `initial_fetch_timeout` (the one change Envoy Gateway allows there). */
function dynamicOf(b: JsonObject): JsonObject | undefined {
  const d = b.dynamic_resources;
  if (!isObject(d)) return undefined;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(d)) {
    if (isObject(v)) {
      const { initial_fetch_timeout: _t, ...rest } = v;
      out[k] = rest;
    } else out[k] = v;
  }
  return out;
}

function xdsLoadAssignment(b: JsonObject): JsonValue | undefined {
  const statics = b.static_resources;
  const clusters = isObject(statics) && Array.isArray(statics.clusters) ? statics.clusters : [];
  const xds = clusters.find((c) => isObject(c) && c.name === XDS_CLUSTER);
  return isObject(xds) ? (xds.load_assignment ?? null) : undefined;
}

/**
 * Envoy Gateway's rules on a customised bootstrap, with its messages. `checkEndpoint` false: only that the xDS
 * cluster has an endpoint (the translator does not know the proxies' xDS address; the edge checks it).
 */
function rulesProblem(result: JsonObject, base: JsonObject, checkEndpoint: boolean): string | undefined {
  const dyn = dynamicOf(result);
  if (!dyn || !isDeepStrictEqual(dyn, dynamicOf(base))) return "dynamic_resources cannot be modified";
  const xds = xdsLoadAssignment(result);
  const bad = checkEndpoint ? !isDeepStrictEqual(xds, xdsLoadAssignment(base)) : !isObject(xds);
  return bad ? "xds_cluster's loadAssigntment cannot be modified" : undefined;
}

/**
 * `base` (a bootstrap of {@link buildBootstrap}) customised by `custom`, or Envoy Gateway's message for why it
 * cannot be. `checkEndpoint` compares the xDS cluster's endpoint with `base`'s. @default true
 */
export function customizeBootstrap(
  base: Record<string, unknown>,
  custom: BootstrapCustomIr,
  checkEndpoint = true,
): CustomBootstrapResult {
  const canonicalBase = canonical(base);
  const r = applied(canonicalBase, custom);
  if ("problem" in r) return r;
  const problem = rulesProblem(r.json, canonicalBase, checkEndpoint);
  if (problem) return { problem };
  return { bootstrap: { ...r.json, node: canonicalBase.node } };
}

/** The customisation of an EnvoyProxy `bootstrap` (operations taken as EnvoyPatchPolicy takes them). */
export function bootstrapCustomOf(b: {
  readonly type?: string;
  readonly value?: string;
  readonly jsonPatches?: readonly {
    readonly op: string;
    readonly path?: string;
    readonly jsonPath?: string;
    readonly from?: string;
    readonly value?: unknown;
  }[];
}): BootstrapCustomIr {
  const type = (b.type ?? "Replace") as BootstrapCustomIr["type"];
  const jsonPatches = (b.jsonPatches ?? []).map((p): JsonPatchIr => ({
    type: "",
    name: "",
    op: p.op as JsonPatchIr["op"],
    ...(p.path !== undefined ? { path: p.path } : {}),
    ...(p.jsonPath !== undefined ? { jsonPath: p.jsonPath } : {}),
    ...(p.from !== undefined ? { from: p.from } : {}),
    hasValue: "value" in p,
    ...("value" in p ? { value: p.value } : {}),
  }));
  return {
    type,
    ...(b.value !== undefined ? { value: b.value } : {}),
    ...(jsonPatches.length > 0 ? { jsonPatches } : {}),
  };
}

/**
 * `base` customised by the proxy's runtime `bootstrap`, if any (the edges: host runner, Kubernetes renderer); the
 * translator's refusal (`bootstrapRefused`) as the problem.
 */
export function proxyBootstrap(
  base: Record<string, unknown>,
  runtime: Pick<ProxyRuntimeIr, "bootstrap" | "bootstrapRefused"> | undefined,
): CustomBootstrapResult {
  if (runtime?.bootstrapRefused !== undefined) return { problem: runtime.bootstrapRefused };
  return runtime?.bootstrap ? customizeBootstrap(base, runtime.bootstrap) : { bootstrap: base };
}

/**
 * The proxy's runtime with a refused `bootstrap` (`bootstrapRefused`) replaced by `last`, the customisation its
 * running proxies were started with (none: egts's own bootstrap), so a bad bootstrap never replaces a good one;
 * `runtime` itself when nothing was refused. The host runner keeps its running process this way.
 */
export function withLastGoodBootstrap(
  runtime: ProxyRuntimeIr | undefined,
  last: BootstrapCustomIr | undefined,
): ProxyRuntimeIr | undefined {
  if (runtime?.bootstrapRefused === undefined) return runtime;
  const { bootstrapRefused: _refused, bootstrap: _none, ...rest } = runtime;
  const kept: ProxyRuntimeIr = { ...rest, ...(last ? { bootstrap: last } : {}) };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

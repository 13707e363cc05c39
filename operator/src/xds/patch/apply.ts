/**
 * The pure part of EnvoyPatchPolicy: a node's built Envoy resources + its patch policies (in order) → the patched
 * resources and each policy's outcome. Per patch, as Envoy Gateway does it: the operation's fields are checked, the
 * resource is found by type and name, turned into protojson, patched, and turned back into the typed resource; a
 * patch that fails at any step changes nothing, and the other patches still apply. `op: add` with an empty path
 * and no jsonPath adds its value as a whole new resource.
 */
import type { JsonPatchIr, PatchPolicyIr } from "../../ir/patch-ir";
import type { JsonValue } from "@bufbuild/protobuf";
import type { JSONValue } from "json-p3";
import type { NodeResources } from "../translate/resources";
import { applyOperation, operationProblem } from "./json-patch";
import { resourceFromJson, resourceToJson } from "./protojson";

/** Envoy Gateway's Secret for the system trust store, which patches may not touch. */
export const SYSTEM_TRUST_STORE_SECRET = "system_ca_certificates";

const SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
const ENDPOINT_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

/** The resource types a patch may name (Envoy Gateway's). */
export const PATCHABLE_TYPES: ReadonlySet<string> = new Set([
  "type.googleapis.com/envoy.config.listener.v3.Listener",
  "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  ENDPOINT_TYPE,
  SECRET_TYPE,
]);

/** What one policy's patches did on its node. */
export interface PatchOutcome {
  /** The policy. */
  readonly policy: PatchPolicyIr;
  /** How many of its patches were applied. */
  readonly applied: number;
  /** The problems of the patches that failed (Programmed=False Invalid). */
  readonly errors: readonly string[];
  /** `<type URL>/<name>` of each resource a patch named that the node does not have (ResourceNotFound). */
  readonly notFound: readonly string[];
}

/** A node's resources after its patch policies. */
export interface PatchedNode {
  /** The patched resources (the input maps are not modified). */
  readonly resources: NodeResources;
  /** One outcome per policy, in order. */
  readonly outcomes: readonly PatchOutcome[];
}

/** Applies `policies` in order to a copy of `resources`. */
export function applyPatchPolicies(resources: NodeResources, policies: readonly PatchPolicyIr[]): PatchedNode {
  const out: NodeResources = new Map([...resources].map(([type, byName]) => [type, new Map(byName)]));
  const outcomes = policies.map((policy): PatchOutcome => {
    const errors: string[] = [];
    const notFound: string[] = [];
    let applied = 0;
    for (const patch of policy.patches) {
      const r = applyPatch(out, patch);
      if (r === "applied") applied++;
      else if ("notFound" in r) notFound.push(r.notFound);
      else errors.push(r.error);
    }
    return { policy, applied, errors, notFound };
  });
  return { resources: out, outcomes };
}

type PatchResult = "applied" | { readonly error: string } | { readonly notFound: string };

function applyPatch(resources: NodeResources, p: JsonPatchIr): PatchResult {
  const problem = operationProblem(p);
  if (problem) return { error: problem };
  if (!PATCHABLE_TYPES.has(p.type)) return { error: `unsupported patch type ${p.type}` };
  try {
    if (p.op === "add" && !p.path && !p.jsonPath) return addResource(resources, p);
    return patchResource(resources, p);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** A patch of an existing resource: protojson, the operation, back to the typed resource. */
function patchResource(resources: NodeResources, p: JsonPatchIr): PatchResult {
  const current = resources.get(p.type)?.get(p.name);
  if (!current) return { notFound: `${p.type}/${p.name}` };
  if (p.type === SECRET_TYPE && p.name === SYSTEM_TRUST_STORE_SECRET) {
    return {
      error: `secret name "${SYSTEM_TRUST_STORE_SECRET}" is reserved for the system trust store and cannot be modified by patches`,
    };
  }
  const { doc, errors } = applyOperation(resourceToJson(p.type, current.value) as JSONValue, p);
  if (errors.length > 0) return { error: errors.join("\n") };
  const value = encode(p, doc);
  if (typeof value === "string") return { error: value };
  if (p.type === SECRET_TYPE && nameOf(p.type, doc) === SYSTEM_TRUST_STORE_SECRET) return reservedSecret();
  resources.get(p.type)?.set(p.name, { typeUrl: p.type, value });
  return "applied";
}

/** `op: add` with an empty path: the value is a whole new resource, named by its own name field. */
function addResource(resources: NodeResources, p: JsonPatchIr): PatchResult {
  if (!p.hasValue || p.value === null) return { error: "missing value for add operation with empty path" };
  if (typeof p.value === "object" && Object.keys(p.value).length === 0) {
    return { error: "empty value for add operation with empty path" };
  }
  const value = encode(p, p.value as JSONValue);
  if (typeof value === "string") return { error: value };
  const name = nameOf(p.type, p.value as JSONValue);
  if (p.type === SECRET_TYPE && name === SYSTEM_TRUST_STORE_SECRET) return reservedSecret();
  const byName = resources.get(p.type) ?? new Map();
  byName.set(name, { typeUrl: p.type, value });
  resources.set(p.type, byName);
  return "applied";
}

/** Protojson → the resource bytes, or Envoy Gateway's unmarshal message (naming the resource, not dumping it). */
function encode(p: JsonPatchIr, doc: JSONValue): Buffer | string {
  try {
    return Buffer.from(resourceFromJson(p.type, doc as JsonValue));
  } catch (err) {
    const what = p.path || p.jsonPath ? `${p.type}/${p.name} after op=${p.op}` : p.type;
    return `unable to unmarshal xds resource ${what}, err:${(err as Error).message}`;
  }
}

/** A resource's name as its message carries it (`cluster_name` for a ClusterLoadAssignment). */
function nameOf(type: string, doc: JSONValue): string {
  const o = (doc ?? {}) as Record<string, JSONValue>;
  const name = type === ENDPOINT_TYPE ? o.cluster_name : o.name;
  return typeof name === "string" ? name : "";
}

function reservedSecret(): PatchResult {
  return {
    error: `secret name "${SYSTEM_TRUST_STORE_SECRET}" is reserved for the system trust store and cannot be used by other resources`,
  };
}

/**
 * fast-check arbitraries for translator fuzzing: Gateway API and Envoy Gateway objects generated from
 * their CRD schemas (Gateway API v1.7.0 from the tool cache, ours from crds/), and mutations of the golden
 * inputs in testdata/translate (a random field replaced by a value of another type or an extreme number,
 * or removed). Names are drawn from a small pool so that generated objects refer to each other.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as fc from "fast-check";
import { parse, parseAllDocuments } from "yaml";
import type { JSONSchemaProps } from "../../crds/generate";
import { loadEnv } from "../../operator/src/config/env";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { GATEWAY_API_VERSION } from "../../operator/src/translate/features";
import { goldenInputs, repoRoot, testdataDir } from "../support/golden";
import { crdSchema } from "../../operator/src/provider/file/structural-schema";

/** Object names: shared by generated objects so that references resolve. */
const NAMES = ["eg", "good", "web", "svc", "bad"];
/** Namespaces. */
const NAMESPACES = ["default", "other"];
/** Strings worth trying where the schema says string. */
const STRINGS = [
  ...NAMES,
  ...NAMESPACES,
  DEFAULT_CONTROLLER_NAME,
  "gateway.networking.k8s.io",
  "gateway.envoyproxy.io",
  "Gateway",
  "Service",
  "Backend",
  "HTTP",
  "HTTPS",
  "TLS",
  "TCP",
  "UDP",
  "/",
  "/a",
  "a.example.com",
  "*.example.com",
  "10.0.0.1",
  "1s",
  "100ms",
  "99999h99999h99999h99999h",
  "1e309s",
  "^(a+)+$",
  "",
  "a\r\nb",
  "..",
  "x".repeat(300),
];
/** Numbers at the edges of the ranges Envoy and the CRDs use. */
const EXTREME_NUMBERS = [
  0,
  -1,
  1,
  80,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  1e20,
  -1e20,
  1.5,
  1e-9,
];

/** The kinds the translator reads, with where their CRD is and their apiVersion. */
export const KINDS: readonly { kind: string; apiVersion: string; file: string; gatewayApi: boolean }[] = [
  { kind: "GatewayClass", apiVersion: "gateway.networking.k8s.io/v1", file: "gatewayclasses", gatewayApi: true },
  { kind: "Gateway", apiVersion: "gateway.networking.k8s.io/v1", file: "gateways", gatewayApi: true },
  { kind: "HTTPRoute", apiVersion: "gateway.networking.k8s.io/v1", file: "httproutes", gatewayApi: true },
  { kind: "GRPCRoute", apiVersion: "gateway.networking.k8s.io/v1", file: "grpcroutes", gatewayApi: true },
  { kind: "TLSRoute", apiVersion: "gateway.networking.k8s.io/v1", file: "tlsroutes", gatewayApi: true },
  { kind: "TCPRoute", apiVersion: "gateway.networking.k8s.io/v1", file: "tcproutes", gatewayApi: true },
  { kind: "UDPRoute", apiVersion: "gateway.networking.k8s.io/v1", file: "udproutes", gatewayApi: true },
  { kind: "ListenerSet", apiVersion: "gateway.networking.k8s.io/v1", file: "listenersets", gatewayApi: true },
  {
    kind: "BackendTLSPolicy",
    apiVersion: "gateway.networking.k8s.io/v1",
    file: "backendtlspolicies",
    gatewayApi: true,
  },
  { kind: "ReferenceGrant", apiVersion: "gateway.networking.k8s.io/v1", file: "referencegrants", gatewayApi: true },
  { kind: "Backend", apiVersion: "gateway.envoyproxy.io/v1alpha1", file: "backends", gatewayApi: false },
  { kind: "EnvoyProxy", apiVersion: "gateway.envoyproxy.io/v1alpha1", file: "envoyproxies", gatewayApi: false },
  ...[
    ["ClientTrafficPolicy", "clienttrafficpolicies"],
    ["BackendTrafficPolicy", "backendtrafficpolicies"],
    ["SecurityPolicy", "securitypolicies"],
    ["EnvoyExtensionPolicy", "envoyextensionpolicies"],
    ["EnvoyPatchPolicy", "envoypatchpolicies"],
    ["HTTPRouteFilter", "httproutefilters"],
  ].map(([kind, file]) => ({ kind, apiVersion: "gateway.envoyproxy.io/v1alpha1", file, gatewayApi: false })),
];

/** The Gateway API CRD folder the tool build installs. */
function gatewayApiCrdDir(): string {
  const dir = join(loadEnv().cacheDir, `gateway-api-${GATEWAY_API_VERSION}`, "standard");
  if (!existsSync(dir)) {
    throw new Error(`Gateway API CRDs not found in ${dir}: run \`bash scripts/install-kube.sh\` (npm test does)`);
  }
  return dir;
}

/** The spec schema of a kind (the served version its apiVersion names). */
export function specSchema(k: (typeof KINDS)[number]): JSONSchemaProps {
  const dir = k.gatewayApi ? gatewayApiCrdDir() : join(repoRoot(), "crds");
  const group = k.gatewayApi ? "gateway.networking.k8s.io" : "gateway.envoyproxy.io";
  const crd = parse(readFileSync(join(dir, `${group}_${k.file}.yaml`), "utf8")) as unknown;
  const schema = crdSchema(crd, k.apiVersion.split("/")[1]);
  return schema.properties?.spec ?? { type: "object" };
}

/** Integers a schema with these bounds accepts, biased to its edges and to huge values when unbounded. */
function integers(s: JSONSchemaProps): fc.Arbitrary<number> {
  const min = s.minimum ?? -(2 ** 53 - 1);
  const max = s.maximum ?? 2 ** 53 - 1;
  const edges = [min, max, ...EXTREME_NUMBERS.filter((n) => Number.isInteger(n) && n >= min && n <= max)];
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 70000) }));
}

const strings: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Values that a schema accepts (enums, bounds, required fields, at most 3 list items); `depth` bounds nesting. */
export function fromSchema(s: JSONSchemaProps, depth = 0): fc.Arbitrary<unknown> {
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s["x-kubernetes-int-or-string"]) return fc.oneof(integers({ minimum: 0 }), strings);
  switch (s.type) {
    case "string":
      return strings;
    case "integer":
      return integers(s);
    case "boolean":
      return fc.boolean();
    case "array":
      return depth > 8 || !s.items
        ? fc.constant([])
        : fc.array(fromSchema(s.items, depth + 1), { maxLength: Math.min(maxItems(s) ?? 3, 3) });
    default:
      return objects(s, depth);
  }
}

function maxItems(s: JSONSchemaProps): number | undefined {
  return (s as { maxItems?: number }).maxItems;
}

function objects(s: JSONSchemaProps, depth: number): fc.Arbitrary<unknown> {
  if (s.properties) {
    const required = s.required ?? [];
    // Deep down, only required fields: keeps objects small and generation fast.
    const keys = Object.keys(s.properties).filter((k) => depth < 6 || required.includes(k));
    const props = s.properties;
    const model = Object.fromEntries(
      keys.map((k) => [k, fc.constant(null).chain(() => fromSchema(props[k], depth + 1))]),
    );
    return fc.record(model, { requiredKeys: required.filter((k) => keys.includes(k)) });
  }
  if (s.additionalProperties && depth < 8) {
    return fc.dictionary(fc.constantFrom(...NAMES), fromSchema(s.additionalProperties, depth + 1), { maxKeys: 2 });
  }
  return fc.constant({});
}

/** One object of a kind: a pool name and namespace, a schema-valid spec. */
function kindObject(k: (typeof KINDS)[number]): fc.Arbitrary<unknown> {
  const spec = fromSchema(specSchema(k));
  return fc.record({
    apiVersion: fc.constant(k.apiVersion),
    kind: fc.constant(k.kind),
    metadata: fc.record({
      name: fc.constantFrom(...NAMES),
      namespace: fc.constantFrom(...NAMESPACES),
      creationTimestamp: fc.constantFrom("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
    }),
    spec,
  });
}

/** A valid class, Gateway and Service that generated objects can attach to. */
const ANCHORS = parseAllDocuments(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: good, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }, { name: tcp, protocol: TCP, port: 90 }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: default }
spec: { clusterIP: 10.96.0.1, ports: [{ name: http, port: 80, targetPort: 8080 }] }
`).map((d) => d.toJS() as unknown);

/** Snapshots of schema-valid objects of every kind (up to 6), beside a valid class, Gateway and Service. */
export function schemaObjects(): fc.Arbitrary<unknown[]> {
  const kinds = fc.oneof(...KINDS.map(kindObject));
  return fc.array(kinds, { minLength: 1, maxLength: 6 }).map((objs) => [...ANCHORS, ...objs]);
}

/** A value of another type or an extreme number, to put anywhere. `REMOVE` deletes the field. */
export const REMOVE = Symbol("remove");
const weirdValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...EXTREME_NUMBERS, NaN, Infinity, -Infinity),
  fc.constantFrom(null, true, false, REMOVE, [], {}, "", "x", ["a.com"], [1], { a: "b" }),
  strings,
);

/** The golden inputs, parsed: one list of objects per file. */
function goldens(): { name: string; objects: unknown[] }[] {
  return goldenInputs(testdataDir("translate")).map((file) => ({
    name: file,
    objects: parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as unknown),
  }));
}

/** Every path to a value inside the objects (not the objects themselves): `[object index, ...keys]`. */
function paths(objects: readonly unknown[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (path.length > 1) out.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  objects.forEach((o, i) => walk(o, [i]));
  return out;
}

/** One mutation: which path (an index, taken modulo the number of paths) gets which value. */
export interface Mutation {
  readonly at: number;
  readonly value: unknown;
}

/** The objects with the mutations applied (a deep copy; the input is not changed). */
export function mutate(objects: readonly unknown[], mutations: readonly Mutation[]): unknown[] {
  const copy = structuredClone(objects) as unknown[];
  for (const m of mutations) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = all[m.at % all.length];
    let parent = copy as unknown as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (m.value === REMOVE) {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else parent[last] = structuredClone(m.value);
  }
  return copy;
}

/** A golden input with 1 to 3 mutations. */
export function mutatedGoldens(): fc.Arbitrary<{ name: string; mutations: Mutation[]; objects: unknown[] }> {
  const inputs = goldens();
  const mutation = fc.record({ at: fc.nat(), value: weirdValues });
  return fc
    .record({ input: fc.constantFrom(...inputs), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
    .map(({ input, mutations }) => ({
      name: input.name.slice(repoRoot().length + 1),
      mutations,
      objects: mutate(input.objects, mutations),
    }));
}

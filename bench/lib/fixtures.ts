/**
 * Synthetic but realistic Gateway API input for the benchmarks: one GatewayClass, one Gateway with one
 * HTTP listener, ~100 Envoy Gateway Backends (or, with `backendKind: "Service"`, Services with their
 * EndpointSlices) and N HTTPRoutes, each with its own hostname, two rules and four matches (path prefix, exact
 * path + header, method + query, catch-all), one header filter (three with `moreFilters`) and weighted
 * backendRefs. Objects are built in code; {@link toYaml} turns them into the files the file provider reads.
 */
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";

/** Fixture settings. */
export interface FixtureOptions {
  /** Number of Backends the routes are spread over. @default 100 */
  readonly backends?: number;
  /** Listener port. @default 8080 */
  readonly port?: number;
  /** Where every Backend points. @default 127.0.0.1:9000 (never contacted by the translate bench) */
  readonly backendAddress?: { readonly host: string; readonly port: number };
  /** Namespace of everything but the GatewayClass. @default "default" */
  readonly namespace?: string;
  /**
   * Route every rule to this Service port instead of the Backends (the Kubernetes bench: a Service whose
   * EndpointSlice points at a server of the bench). @default the Backends
   */
  readonly service?: { readonly name: string; readonly port: number };
  /**
   * What the routes' backendRefs name: Envoy Gateway `Backend`s (`backend-<j>`, need the Backend API enabled) or
   * core `Service`s (`svc-<j>`, port {@link SERVICE_PORT}, each with a cluster IP and one EndpointSlice of
   * {@link SLICE_ENDPOINTS} ready pods), which any Envoy Gateway translates with its defaults. @default "Backend"
   */
  readonly backendKind?: "Backend" | "Service";
  /** Adds a response header filter to each rule (three filters per route instead of one). @default false */
  readonly moreFilters?: boolean;
}

/** Port of the fixture's Services (and of their EndpointSlices' endpoints). */
export const SERVICE_PORT = 8080;

/** Ready endpoints in each fixture Service's EndpointSlice. */
export const SLICE_ENDPOINTS = 2;

const NS = "default";

/** Hostname of route `i`. */
export function routeHost(i: number): string {
  return `app-${i}.bench.example.com`;
}

/** Name of route `i`. */
export function routeName(i: number): string {
  return `route-${String(i).padStart(5, "0")}`;
}

/** GatewayClass `bench` and Gateway `default/bench` with one HTTP listener. */
export function gatewayObjects(opts: FixtureOptions = {}): KubeObject[] {
  const ns = opts.namespace ?? NS;
  return [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "bench" },
      spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "bench", namespace: ns, generation: 1 },
      spec: {
        gatewayClassName: "bench",
        listeners: [
          { name: "http", protocol: "HTTP", port: opts.port ?? 8080, allowedRoutes: { namespaces: { from: "Same" } } },
        ],
      },
    },
  ];
}

/** Backend `backend-<j>`. */
export function backendObject(j: number, opts: FixtureOptions = {}): KubeObject {
  const addr = opts.backendAddress ?? { host: "127.0.0.1", port: 9000 };
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "Backend",
    metadata: { name: `backend-${j}`, namespace: opts.namespace ?? NS, generation: 1 },
    spec: { endpoints: [{ ip: { address: addr.host, port: addr.port } }] },
  };
}

/** `10.<base>.<hi>.<lo>` for index `j` (j < 65,536). */
function ipOf(base: number, j: number): string {
  return `10.${base}.${Math.floor(j / 256)}.${j % 256}`;
}

/**
 * Service `svc-<j>` (cluster IP `10.96.x.y`, one TCP port named `http`) and its EndpointSlice with
 * {@link SLICE_ENDPOINTS} ready pod addresses (`10.244.x.y`, `10.245.x.y`, …) on the same port.
 */
export function serviceObjects(j: number, opts: FixtureOptions = {}): KubeObject[] {
  const namespace = opts.namespace ?? NS;
  const name = `svc-${j}`;
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace },
      spec: {
        clusterIP: ipOf(96, j),
        ports: [{ name: "http", port: SERVICE_PORT, protocol: "TCP", targetPort: SERVICE_PORT }],
      },
    },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-slice`, namespace, labels: { "kubernetes.io/service-name": name } },
      spec: undefined,
      addressType: "IPv4",
      endpoints: Array.from({ length: SLICE_ENDPOINTS }, (_, k) => ({
        addresses: [ipOf(244 + k, j)],
        conditions: { ready: true },
      })),
      ports: [{ name: "http", port: SERVICE_PORT, protocol: "TCP" }],
    } as KubeObject,
  ];
}

/** A weighted backendRef to backend `j` of the fixture's kind. */
function backendRef(j: number, opts: FixtureOptions, weight?: number): Record<string, unknown> {
  const w = weight === undefined ? {} : { weight };
  if (opts.service) return { name: opts.service.name, port: opts.service.port, ...w };
  return opts.backendKind === "Service"
    ? { name: `svc-${j}`, port: SERVICE_PORT, ...w }
    : { group: "gateway.envoyproxy.io", kind: "Backend", name: `backend-${j}`, ...w };
}

/** With `moreFilters`, a response header filter for rule `rule` of route `i`. */
function responseFilters(i: number, rule: number, opts: FixtureOptions): Record<string, unknown>[] {
  if (!opts.moreFilters) return [];
  const mod = rule === 0 ? { add: [{ name: "x-served-by", value: routeName(i) }] } : { remove: ["server"] };
  return [{ type: "ResponseHeaderModifier", responseHeaderModifier: mod }];
}

/**
 * HTTPRoute `i`: its own hostname; rule 0 has `/api/v<k>` prefix and an exact `/api/health` match with a
 * header, a request header filter and two weighted backends; rule 1 is a `GET /` with a query match.
 * `variant` changes one path value, for "one route changed" updates.
 */
export function routeObject(i: number, opts: FixtureOptions & { variant?: number } = {}): KubeObject {
  const nb = opts.backends ?? 100;
  const b0 = i % nb;
  const b1 = (i * 7 + 3) % nb;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: routeName(i),
      namespace: opts.namespace ?? NS,
      generation: 1 + (opts.variant ?? 0),
      creationTimestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      labels: { app: `app-${i}`, team: `team-${i % 20}` },
    },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "bench", sectionName: "http" }],
      hostnames: [routeHost(i)],
      rules: [
        {
          matches: [
            { path: { type: "PathPrefix", value: `/api/v${1 + (i % 3)}${opts.variant ? `-${opts.variant}` : ""}` } },
            {
              path: { type: "Exact", value: "/api/health" },
              headers: [{ type: "Exact", name: "x-probe", value: "true" }],
            },
          ],
          filters: [
            {
              type: "RequestHeaderModifier",
              requestHeaderModifier: { set: [{ name: "x-route", value: routeName(i) }] },
            },
            ...responseFilters(i, 0, opts),
          ],
          backendRefs: [backendRef(b0, opts, 90), backendRef(b1, opts, 10)],
        },
        {
          matches: [
            {
              path: { type: "PathPrefix", value: "/" },
              method: "GET",
              queryParams: [{ type: "Exact", name: "lang", value: "en" }],
            },
            { path: { type: "PathPrefix", value: "/" } },
          ],
          ...(opts.moreFilters ? { filters: responseFilters(i, 1, opts) } : {}),
          backendRefs: [backendRef(b0, opts)],
        },
      ],
    },
  };
}

/**
 * The translate options the in-process benches use: Backends on and loopback allowed (the fixtures' Backends point at
 * 127.0.0.1, as the standalone examples do).
 */
export const TRANSLATE_OPTIONS = {
  listenAddress: "127.0.0.1",
  backends: { enabled: true, allow: ["Loopback"] },
} as const;

/** The whole input: Gateway, Backends (or Services and EndpointSlices) and routes 0..n-1. */
export function buildObjects(n: number, opts: FixtureOptions = {}): KubeObject[] {
  const nb = opts.backends ?? 100;
  const out = gatewayObjects(opts);
  for (let j = 0; j < nb; j++)
    out.push(...(opts.backendKind === "Service" ? serviceObjects(j, opts) : [backendObject(j, opts)]));
  for (let i = 0; i < n; i++) out.push(routeObject(i, opts));
  return out;
}

/** Multi-document YAML of `objects`. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}

/**
 * The policies of the route-change scenario on routes `names`: a BackendTrafficPolicy (retry on connect
 * failure and 503, a request timeout) and a SecurityPolicy (CORS: it adds a filter without refusing plain
 * requests), both targeting every one of them.
 */
export function routePolicyObjects(names: readonly string[], opts: FixtureOptions = {}): KubeObject[] {
  const targetRefs = names.map((name) => ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name }));
  const metadata = (name: string): KubeObject["metadata"] => ({ name, namespace: opts.namespace ?? NS });
  return [
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "BackendTrafficPolicy",
      metadata: metadata("bench-traffic"),
      spec: {
        targetRefs,
        retry: {
          numRetries: 2,
          retryOn: { triggers: ["connect-failure", "retriable-status-codes"], httpStatusCodes: [503] },
        },
        timeout: { http: { requestTimeout: "10s" } },
      },
    },
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "SecurityPolicy",
      metadata: metadata("bench-security"),
      spec: { targetRefs, cors: { allowOrigins: ["https://*.bench.example.com"], allowMethods: ["GET", "POST"] } },
    },
  ];
}

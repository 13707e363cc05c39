/**
 * Synthetic but realistic Gateway API input for the benchmarks: one GatewayClass, one Gateway with one
 * HTTP listener, ~100 Envoy Gateway Backends and N HTTPRoutes, each with its own hostname, two rules and
 * three matches (path prefix, exact path + header, method + query), one header filter and weighted
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
}

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

/**
 * HTTPRoute `i`: its own hostname; rule 0 has `/api/v<k>` prefix and an exact `/api/health` match with a
 * header, a request header filter and two weighted backends; rule 1 is a `GET /` with a query match.
 * `variant` changes one path value, for "one route changed" updates.
 */
export function routeObject(i: number, opts: FixtureOptions & { variant?: number } = {}): KubeObject {
  const nb = opts.backends ?? 100;
  const ref = (j: number): Record<string, unknown> =>
    opts.service
      ? { name: opts.service.name, port: opts.service.port }
      : { group: "gateway.envoyproxy.io", kind: "Backend", name: `backend-${j}` };
  const b0 = ref(i % nb);
  const b1 = ref((i * 7 + 3) % nb);
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
          ],
          backendRefs: [
            { ...b0, weight: 90 },
            { ...b1, weight: 10 },
          ],
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
          backendRefs: [b0],
        },
      ],
    },
  };
}

/** The whole input: Gateway, Backends and routes 0..n-1. */
export function buildObjects(n: number, opts: FixtureOptions = {}): KubeObject[] {
  const nb = opts.backends ?? 100;
  const out = gatewayObjects(opts);
  for (let j = 0; j < nb; j++) out.push(backendObject(j, opts));
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

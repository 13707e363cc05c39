/**
 * The incremental HTTPRoute stage and virtual host patching (route-table.ts, virtual-hosts.ts, ADR 0023) change no
 * output: a sequence of snapshots translated one after the other, sharing every unchanged object (routes added,
 * changed and deleted, a hostname moved from one route to another, a route moved to another Gateway and to another
 * listener, more routes changed at once than a listener part patches, a route sorting before every other with a
 * new backend, a Gateway's listeners changed and changed back, a Namespace's labels under a selector), gives at
 * every step exactly the TranslateResult (statuses, xDS and infra IR, rejected objects) of a translation of fresh
 * copies of the same input. The fresh translations run first, so none of them patches the other sequence's state;
 * each step also checks which path it took (patched steps process only the routes that changed).
 */
import * as assert from "node:assert/strict";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import {
  lastRouteStats,
  translate,
  type TranslateOptions,
  type TranslateResult,
} from "../../operator/src/translate/translate";

const OPTS: TranslateOptions = { listenAddress: "127.0.0.1" };
const GW_API = "gateway.networking.k8s.io/v1";

const CLASS: KubeObject = {
  apiVersion: GW_API,
  kind: "GatewayClass",
  metadata: { name: "eg" },
  spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
};

/** Gateway `a` (a catch-all listener, a `*.shop.example` one, one selecting Namespaces `team: web`) and `b`. */
function gateways(variant = 0): KubeObject[] {
  return [
    {
      apiVersion: GW_API,
      kind: "Gateway",
      metadata: { name: "a", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: {
        gatewayClassName: "eg",
        listeners: [
          { name: "all", protocol: "HTTP", port: 8080, allowedRoutes: { namespaces: { from: "All" } } },
          {
            name: "shop",
            protocol: "HTTP",
            port: 8080,
            hostname: variant === 0 ? "*.shop.example" : "*.store.example",
            allowedRoutes: { namespaces: { from: "All" } },
          },
          {
            name: "teams",
            protocol: "HTTP",
            port: 8081,
            allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { team: "web" } } } },
          },
        ],
      },
    },
    {
      apiVersion: GW_API,
      kind: "Gateway",
      metadata: { name: "b", namespace: "default", creationTimestamp: "2026-01-02T00:00:00Z" },
      spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port: 9090 }] },
    },
  ];
}

function namespace(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels }, spec: {} };
}

/** Service `svc-<j>` with one port and its EndpointSlice. */
function service(j: number): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${j}`, namespace: "default" },
      spec: { clusterIP: `10.96.0.${j + 1}`, ports: [{ port: 80 }] },
    },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `svc-${j}-x`, namespace: "default", labels: { "kubernetes.io/service-name": `svc-${j}` } },
      addressType: "IPv4",
      ports: [{ port: 8080 }],
      endpoints: [{ addresses: [`10.0.0.${j + 1}`], conditions: { ready: true } }],
    } as unknown as KubeObject,
  ];
}

interface RouteSpec {
  readonly parent?: string;
  readonly section?: string;
  readonly hostnames?: readonly string[];
  readonly path?: string;
  readonly backend?: number;
  readonly namespace?: string;
  readonly redirect?: boolean;
  readonly missingBackend?: boolean;
}

/** HTTPRoute `r-<i>` (two rules, a header match, a redirect or a missing Service if asked). */
function route(name: string, spec: RouteSpec = {}): KubeObject {
  const backend = spec.missingBackend ? "nowhere" : `svc-${spec.backend ?? 0}`;
  return {
    apiVersion: GW_API,
    kind: "HTTPRoute",
    metadata: {
      name,
      namespace: spec.namespace ?? "default",
      generation: 1,
      creationTimestamp: "2026-01-03T00:00:00Z",
    },
    spec: {
      parentRefs: [
        {
          name: spec.parent ?? "a",
          namespace: "default",
          ...(spec.section ? { sectionName: spec.section } : {}),
        },
      ],
      ...(spec.hostnames ? { hostnames: spec.hostnames } : {}),
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: spec.path ?? `/${name}` } }],
          ...(spec.redirect
            ? { filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "moved.example" } }] }
            : { backendRefs: [{ name: backend, namespace: "default", port: 80 }] }),
        },
        {
          matches: [{ path: { type: "Exact", value: "/health" }, headers: [{ name: "x-probe", value: "1" }] }],
          backendRefs: [{ name: backend, namespace: "default", port: 80 }],
        },
      ],
    },
  };
}

/** The base input: 40 routes over both Gateways and their listeners, some without hostnames, some wildcards. */
function base(): KubeObject[] {
  const routes = Array.from({ length: 40 }, (_, i) => {
    const name = `r-${String(i).padStart(2, "0")}`;
    const hostnames =
      i % 7 === 0 ? undefined : i % 5 === 0 ? [`*.h${i}.example`] : [`h${i}.example`, `x${i}.shop.example`];
    return route(name, {
      parent: i % 4 === 3 ? "b" : "a",
      section: i % 9 === 4 ? "shop" : undefined,
      hostnames,
      backend: i % 6,
      redirect: i % 11 === 2,
      missingBackend: i % 13 === 5,
      namespace: i % 10 === 8 ? "web" : "default",
    });
  });
  return [
    CLASS,
    ...gateways(),
    namespace("default", {}),
    namespace("web", { team: "web" }),
    ...Array.from({ length: 6 }, (_, j) => service(j)).flat(),
    ...routes,
  ];
}

/** Whether an object is the route named `name` (in default). */
const isRoute = (name: string) => (o: KubeObject) => o.kind === "HTTPRoute" && o.metadata.name === name;

/** `objects` with the first one matching `pick` replaced by `next` (a new object). */
function swap(objects: readonly KubeObject[], pick: (o: KubeObject) => boolean, next: KubeObject): KubeObject[] {
  const i = objects.findIndex(pick);
  assert.ok(i >= 0, "the object to replace is there");
  return objects.map((o, j) => (j === i ? next : o));
}

/** Each step: a name, how the input changes, and whether the HTTPRoute stage may patch (same attach context). */
type Step = readonly [name: string, change: (objects: KubeObject[]) => KubeObject[], patched: boolean];

const STEPS: readonly Step[] = [
  ["a route added", (o) => [...o, route("r-40", { hostnames: ["new.example"], backend: 2 })], true],
  ["a route's path changed", (o) => swap(o, isRoute("r-11"), route("r-11", { path: "/changed", backend: 1 })), true],
  ["a route deleted", (o) => o.filter((x) => !isRoute("r-12")(x)), true],
  [
    "a hostname moved from one route to another",
    (o) =>
      swap(
        swap(o, isRoute("r-13"), route("r-13", { hostnames: ["h13.example"], backend: 1 })),
        isRoute("r-16"),
        route("r-16", { hostnames: ["h16.example", "x13.shop.example"], backend: 4 }),
      ),
    true,
  ],
  ["a route moved to the other Gateway", (o) => swap(o, isRoute("r-17"), route("r-17", { parent: "b" })), true],
  [
    "a route moved to another listener",
    (o) => swap(o, isRoute("r-18"), route("r-18", { section: "shop", hostnames: ["y18.shop.example"] })),
    true,
  ],
  ["a wildcard route added", (o) => [...o, route("r-41", { hostnames: ["*.wild.example"], backend: 3 })], true],
  [
    "more routes changed at once than a part patches",
    (o) =>
      o.map((x) => {
        const i = x.kind === "HTTPRoute" ? Number(x.metadata.name.slice(2)) : -1;
        return i >= 20 && i < 40 && i % 4 !== 3 ? route(x.metadata.name, { hostnames: [`z${i}.example`] }) : x;
      }),
    true,
  ],
  [
    "a route sorting first, with a backend no route used first",
    (o) => [...o, ...service(9), route("a-first", { hostnames: ["first.example"], backend: 9 })],
    true,
  ],
  ["the first route deleted again", (o) => o.filter((x) => !isRoute("a-first")(x)), true],
  ["a Gateway's listener hostname changed", (o) => swap(o, (x) => x.metadata.name === "a", gateways(1)[0]), false],
  ["a route added after the listener change", (o) => [...o, route("r-42", { hostnames: ["x42.store.example"] })], true],
  ["the listener hostname changed back", (o) => swap(o, (x) => x.metadata.name === "a", gateways(0)[0]), false],
  [
    "a Namespace's labels no longer selected",
    (o) => swap(o, (x) => x.kind === "Namespace" && x.metadata.name === "web", namespace("web", { team: "none" })),
    false,
  ],
  [
    "routes deleted and one added",
    (o) => [...o.filter((x) => !/^r-0[0-5]$/.test(x.metadata.name)), route("r-43")],
    true,
  ],
  [
    "a malformed route added (the intake rejects it)",
    (o) => [...o, { apiVersion: GW_API, kind: "HTTPRoute", metadata: { name: "bad", namespace: "default" }, spec: 7 }],
    true,
  ],
  ["the malformed route removed", (o) => o.filter((x) => !isRoute("bad")(x)), true],
  ["the last route moved to the front of the input", (o) => [o[o.length - 1], ...o.slice(0, -1)], true],
  ["one route object given twice", (o) => [...o, o.find(isRoute("r-20"))!], false],
  ["the second copy gone again", (o) => o.slice(0, -1), false],
  ["a GRPCRoute added", (o) => [...o, grpcRoute()], true],
  ["an HTTPRoute added beside the GRPCRoute", (o) => [...o, route("r-44", { hostnames: ["h44.example"] })], true],
  [
    "the GRPCRoute takes the HTTPRoute's hostname (the older, by name, keeps it)",
    (o) => swap(o, (x) => x.kind === "GRPCRoute", grpcRoute(["grpc.example", "h44.example"])),
    true,
  ],
  ["the GRPCRoute deleted", (o) => o.filter((x) => x.kind !== "GRPCRoute"), true],
  ["nothing changed", (o) => [...o], true],
];

/** GRPCRoute `g` on Gateway `a`'s catch-all listener (its port's RouteConfiguration then serves gRPC). */
function grpcRoute(hostnames = ["grpc.example"]): KubeObject {
  return {
    apiVersion: GW_API,
    kind: "GRPCRoute",
    metadata: { name: "g", namespace: "default", generation: 1, creationTimestamp: "2026-01-03T00:00:00Z" },
    spec: {
      parentRefs: [{ name: "a", namespace: "default", sectionName: "all" }],
      hostnames,
      rules: [{ backendRefs: [{ name: "svc-1", namespace: "default", port: 80 }] }],
    },
  };
}

describe("incremental HTTPRoute stage: every step the same result as a fresh translation", () => {
  it("routes added, changed, deleted and moved; listeners and labels changed", () => {
    const inputs: KubeObject[][] = [base()];
    for (const [, change] of STEPS) inputs.push(change(inputs[inputs.length - 1]));
    // Fresh copies first: every one is a first translation of its objects.
    const fresh: TranslateResult[] = inputs.map((objects) => {
      const r = translate(snapshotFromObjects(structuredClone(objects)), OPTS);
      assert.equal(lastRouteStats().full, true, "a fresh copy processes every route");
      return r;
    });
    translate(snapshotFromObjects(inputs[0]), OPTS);
    const before = lastRouteStats();
    assert.equal(before.full, true);
    for (const [i, [name, , patched]] of STEPS.entries()) {
      const objects = inputs[i + 1];
      const warm = translate(snapshotFromObjects(objects), OPTS);
      const stats = lastRouteStats();
      assert.deepStrictEqual(warm, fresh[i + 1], `${name}: the same result as a fresh translation`);
      assert.equal(stats.full, !patched, `${name}: ${patched ? "patched" : "every route processed"}`);
      if (patched) {
        const routes = objects.filter((o) => o.kind === "HTTPRoute").length;
        assert.ok(stats.processed < routes / 2, `${name}: only the changed routes processed (${stats.processed})`);
      }
    }
    // The statuses say what the steps did (the comparison above would pass if both sides ignored a change).
    const last = fresh[fresh.length - 1];
    const statusOf = (n: string) => last.statuses.find((s) => s.kind === "HTTPRoute" && s.name === n);
    assert.equal(statusOf("r-12"), undefined, "the deleted route has no status");
    assert.ok(statusOf("r-43"), "the added route has one");
    // The port with the GRPCRoute says so while it is there, and not after.
    const grpcOn = (r: TranslateResult) => r.xdsIr.some((n) => n.http.some((l) => l.port === 8080 && l.grpcRoutes));
    const at = STEPS.findIndex(([name]) => name === "a GRPCRoute added") + 1;
    assert.deepEqual(
      [at - 1, at, at + 1, at + 2, at + 3].map((k) => grpcOn(fresh[k])),
      [false, true, true, true, false],
      "grpcRoutes follows the GRPCRoute",
    );
    // The GRPCRoute that takes r-44's hostname rejects it on that parent, and r-44 is accepted once it is gone (the
    // rejection replaced r-44's status in a copy, not in the HTTPRoute stage's own list, which the next step reuses).
    const accepted = (r: TranslateResult) =>
      JSON.stringify(r.statuses.find((s) => s.kind === "HTTPRoute" && s.name === "r-44")?.status).match(
        /"type":"Accepted","status":"(\w+)"/,
      )?.[1];
    assert.deepEqual(
      [at + 1, at + 2, at + 3].map((k) => accepted(fresh[k])),
      ["True", "False", "True"],
    );
  });

  it("a route attached to no listener, then to one, then to none again (its entries come and go)", () => {
    const objects = swap(base(), isRoute("r-21"), route("r-21", { hostnames: ["h21.example"] }));
    const detached = swap(objects, isRoute("r-21"), route("r-21", { section: "nope", hostnames: ["h21.example"] }));
    const steps = [objects, detached, objects, detached];
    const fresh = steps.map((o) => translate(snapshotFromObjects(structuredClone(o)), OPTS));
    translate(snapshotFromObjects(objects), OPTS);
    for (const [i, o] of steps.entries()) {
      assert.deepStrictEqual(translate(snapshotFromObjects(o), OPTS), fresh[i], `step ${i}`);
      const domains = fresh[i].xdsIr.flatMap((n) => n.http.flatMap((l) => l.virtualHosts.flatMap((v) => v.domains)));
      assert.equal(domains.includes("h21.example"), i % 2 === 0, `step ${i}: h21.example served while attached`);
    }
  });
});

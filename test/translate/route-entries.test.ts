/**
 * Route entries and what they are built from, reused across translations (ADR 0018): a route attached to two
 * listeners gets each listener's own hostname intersection and, for a redirect without a port, each listener's
 * own port, on the first translation and on the next ones (the memoised entries, intersections and statuses).
 * The equivalence over the golden cases (compile-memo.test.ts) cannot see a memo that mixes up two listeners:
 * a fresh translation would make the same mix-up. These assert the answer itself.
 */
import * as assert from "node:assert/strict";
import type { GatewayXdsIr, RouteIr } from "../../operator/src/ir/xds-ir";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const CLASS: KubeObject = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "eg" },
  spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
};

const GATEWAY: KubeObject = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name: "eg", namespace: "default" },
  spec: {
    gatewayClassName: "eg",
    listeners: [
      { name: "a", protocol: "HTTP", port: 8080, hostname: "a.example.com" },
      { name: "b", protocol: "HTTP", port: 8081, hostname: "b.example.com" },
    ],
  },
};

/** A route for `*.example.com` on both listeners: a redirect (no port: each listener's) and a direct answer. */
const ROUTE: KubeObject = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "wild", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: {
    parentRefs: [{ name: "eg" }],
    hostnames: ["*.example.com"],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: "/old" } }],
        filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "new.example.com", statusCode: 301 } }],
      },
    ],
  },
};

/** Per HTTP listener port: its virtual hosts' domains and the redirect ports of their routes. */
function perPort(ir: readonly GatewayXdsIr[]): Record<number, { domains: string[]; redirectPorts: unknown[] }> {
  const out: Record<number, { domains: string[]; redirectPorts: unknown[] }> = {};
  for (const node of ir)
    for (const l of node.http) {
      const routes: RouteIr[] = l.virtualHosts.flatMap((v) => [...v.routes]);
      out[l.port] = {
        domains: l.virtualHosts.flatMap((v) => [...v.domains]),
        redirectPorts: routes.map((r) => (r.action.kind === "redirect" ? r.action.redirect.port : "not a redirect")),
      };
    }
  return out;
}

describe("route entries reused across translations: each listener keeps its own", () => {
  it("a wildcard route on two listeners serves each listener's hostname and redirects to its port, every pass", () => {
    const objects = [CLASS, GATEWAY, ROUTE];
    const expected = {
      8080: { domains: ["a.example.com"], redirectPorts: [8080] },
      8081: { domains: ["b.example.com"], redirectPorts: [8081] },
    };
    for (let pass = 1; pass <= 3; pass++) {
      const r = translate(snapshotFromObjects(objects), { listenAddress: "127.0.0.1" });
      assert.deepEqual(perPort(r.xdsIr), expected, `pass ${pass}`);
      const status = r.statuses.find((s) => s.kind === "HTTPRoute");
      const parents = (status?.status as { parents: { conditions: { type: string; status: string }[] }[] }).parents;
      assert.deepEqual(
        parents.map((p) => p.conditions.find((c) => c.type === "Accepted")?.status),
        ["True"],
        `pass ${pass}: accepted`,
      );
    }
  });

  it("a route on two listeners with the same hostname redirects to each listener's port, every pass", () => {
    const open = structuredClone(GATEWAY);
    for (const l of (open.spec as { listeners: { hostname?: string }[] }).listeners) delete l.hostname;
    const route = structuredClone(ROUTE);
    (route.spec as { hostnames: string[] }).hostnames = ["x.example.com"];
    const expected = {
      8080: { domains: ["x.example.com"], redirectPorts: [8080] },
      8081: { domains: ["x.example.com"], redirectPorts: [8081] },
    };
    for (let pass = 1; pass <= 3; pass++) {
      const r = translate(snapshotFromObjects([CLASS, open, route]), { listenAddress: "127.0.0.1" });
      assert.deepEqual(perPort(r.xdsIr), expected, `pass ${pass}`);
    }
  });

  it("the route's status follows a change of its Gateway though the route object is the same", () => {
    const closed = structuredClone(GATEWAY);
    (closed.spec as { listeners: { allowedRoutes?: unknown }[] }).listeners.forEach(
      (l) => (l.allowedRoutes = { namespaces: { from: "Selector", selector: { matchLabels: { none: "x" } } } }),
    );
    const accepted = (objects: readonly KubeObject[]) => {
      const r = translate(snapshotFromObjects(objects), { listenAddress: "127.0.0.1" });
      const status = r.statuses.find((s) => s.kind === "HTTPRoute")?.status as {
        parents: { conditions: { type: string; status: string; reason: string }[] }[];
      };
      return status.parents[0].conditions.find((c) => c.type === "Accepted");
    };
    assert.equal(accepted([CLASS, GATEWAY, ROUTE])?.status, "True");
    assert.deepEqual(
      { ...accepted([CLASS, closed, ROUTE]) },
      { ...accepted([CLASS, structuredClone(closed), structuredClone(ROUTE)]) },
    );
    assert.equal(accepted([CLASS, closed, ROUTE])?.reason, "NotAllowedByListeners");
    assert.equal(accepted([CLASS, GATEWAY, ROUTE])?.status, "True");
  });
});

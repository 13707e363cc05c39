/**
 * Listener and route attachment as the Gateway API v1.7.0 conformance suite asserts it. Each test names the
 * conformance test(s) (sigs.k8s.io/gateway-api/conformance/tests) whose status expectations it checks, on
 * manifests shaped like that test's YAML.
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import { translate, type TranslateResult } from "../../operator/src/translate/translate";
import { GATEWAY_CLASS_YAML } from "../support/manifests";
import { makeCa, tlsSecretYaml } from "../support/pki";

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}
interface ListenerStatus {
  readonly name: string;
  readonly attachedRoutes: number;
  readonly supportedKinds: { kind: string }[];
  readonly conditions: Cond[];
}
interface WithListeners {
  readonly conditions: Cond[];
  readonly listeners: ListenerStatus[];
  readonly attachedListenerSets?: number;
}
interface RouteStatus {
  readonly parents: { parentRef: { name: string; sectionName?: string }; conditions: Cond[] }[];
}

function run(yaml: string): TranslateResult {
  const objects = parseAllDocuments(`${GATEWAY_CLASS_YAML}---\n${yaml}`).map((d) => d.toJS() as KubeObject);
  return translate(snapshotFromObjects(objects), { backends: { enabled: true } });
}

function status<T>(r: TranslateResult, kind: string, key: string): T {
  const s = r.statuses.find((x: StatusUpdate) => x.kind === kind && `${x.namespace ?? ""}/${x.name}` === key);
  assert.ok(s, `no status for ${kind} ${key}`);
  return s.status as T;
}

function listener(r: TranslateResult, kind: "Gateway" | "ListenerSet", key: string, name: string): ListenerStatus {
  const l = status<WithListeners>(r, kind, key).listeners.find((x) => x.name === name);
  assert.ok(l, `no listener ${name} in ${kind} ${key}`);
  return l;
}

/** `Type=Status/Reason` of the condition of that type. */
function cond(conditions: readonly Cond[], type: string): string {
  const c = conditions.find((x) => x.type === type);
  return c ? `${type}=${c.status}/${c.reason}` : `${type} missing`;
}

/** The route's conditions on the parent named `gateway` (and `sectionName`, when given). */
function parentConds(r: TranslateResult, kind: string, key: string, gateway: string, section?: string): Cond[] {
  const p = status<RouteStatus>(r, kind, key).parents.find(
    (x) => x.parentRef.name === gateway && (section === undefined || x.parentRef.sectionName === section),
  );
  assert.ok(p, `${kind} ${key} has no parent status for ${gateway}`);
  return p.conditions;
}

function irOf(r: TranslateResult, key: string): GatewayXdsIr {
  const ir = r.xdsIr.find((x) => x.name === key);
  assert.ok(ir, `no xDS IR for ${key}: ${r.xdsIr.map((x) => x.name).join(", ")}`);
  return ir;
}

const ca = makeCa("egts conformance-attachment CA");
const CERTS = [
  tlsSecretYaml("term-cert", ca.issue("tls.example.com")),
  tlsSecretYaml("any-cert", ca.issue("*.example.com")),
].join("---\n");

const BACKENDS = ["one", "two"]
  .map(
    (name, i) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec:
  endpoints: [{ ip: { address: 10.0.0.${i + 1}, port: 3000 } }]
`,
  )
  .join("---\n");

/** Gateway `default/<name>` of class eg; `listeners` is its listener list, indented by four spaces. */
function gateway(name: string, listeners: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
${listeners}`;
}

/**
 * A `kind` route `default/<name>` with `parentRefs` (flow YAML, without brackets) to Backend `backend`; its
 * hostnames (flow YAML, without brackets) and creationTimestamp when given.
 */
function route(
  kind: string,
  name: string,
  parentRefs: string,
  backend: string,
  o: { readonly hostnames?: string; readonly created?: string } = {},
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: ${name}, namespace: default${o.created ? `, creationTimestamp: "${o.created}"` : ""} }
spec:
  parentRefs: [${parentRefs}]
${o.hostnames ? `  hostnames: [${o.hostnames}]\n` : ""}  rules: ${backendRef(backend)}`;
}

function backendRef(name: string): string {
  return `[{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${name} }] }]`;
}

describe("conformance v1.7.0: listener and route attachment", () => {
  describe("routes attach to an Accepted listener that cannot be programmed", () => {
    it("GatewayWithAttachedRoutes: an HTTPS listener with an unresolved certificateRef counts its route", () => {
      // "Gateway listener should have AttachedRoutes set even when Gateway has unresolved refs".
      const r = run(`${gateway(
        "unresolved",
        `    - name: tls
      port: 443
      protocol: HTTPS
      allowedRoutes: { kinds: [{ kind: HTTPRoute }] }
      tls: { mode: Terminate, certificateRefs: [{ group: "", kind: Secret, name: does-not-exist }] }`,
      )}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: http-route-4, namespace: default }
spec:
  parentRefs: [{ kind: Gateway, name: unresolved, sectionName: tls }]
  rules: [{ backendRefs: [{ name: does-not-exist, port: 8080 }] }]
`);
      const l = listener(r, "Gateway", "default/unresolved", "tls");
      assert.equal(l.attachedRoutes, 1);
      assert.equal(cond(l.conditions, "Accepted"), "Accepted=True/Accepted");
      assert.equal(cond(l.conditions, "Programmed"), "Programmed=False/Invalid");
      assert.equal(cond(l.conditions, "ResolvedRefs"), "ResolvedRefs=False/InvalidCertificateRef");
      const p = parentConds(r, "HTTPRoute", "default/http-route-4", "unresolved");
      assert.equal(cond(p, "Accepted"), "Accepted=True/Accepted");
      assert.equal(cond(p, "ResolvedRefs"), "ResolvedRefs=False/BackendNotFound");
      // Nothing is served: the Gateway's only listener has no certificate.
      assert.equal(
        r.xdsIr.find((x) => x.name === "default/unresolved"),
        undefined,
      );
    });

    it("a route on an HTTP listener and an HTTPS listener without a usable certificate: both count it, only HTTP serves it", () => {
      const r = run(`${gateway(
        "eg",
        `    - { name: http, protocol: HTTP, port: 80 }
    - { name: https, protocol: HTTPS, port: 443, tls: { certificateRefs: [{ name: missing }] } }`,
      )}
---
${route("HTTPRoute", "web", "{ name: eg }", "one")}
---
${BACKENDS}`);
      assert.equal(listener(r, "Gateway", "default/eg", "http").attachedRoutes, 1);
      assert.equal(listener(r, "Gateway", "default/eg", "https").attachedRoutes, 1);
      assert.equal(cond(parentConds(r, "HTTPRoute", "default/web", "eg"), "Accepted"), "Accepted=True/Accepted");
      const ir = irOf(r, "default/eg");
      assert.deepEqual(
        ir.http.map((h) => h.port),
        [80],
      );
    });

    it("a listener that is not accepted (or conflicted) still takes no route", () => {
      const r = run(`${gateway(
        "eg",
        `    - { name: http, protocol: HTTP, port: 80 }
    - { name: a, protocol: HTTP, port: 81, hostname: a.example.com }
    - { name: b, protocol: TCP, port: 81 }`,
      )}
---
${route("HTTPRoute", "web", "{ name: eg, sectionName: a }", "one")}
---
${BACKENDS}`);
      assert.equal(listener(r, "Gateway", "default/eg", "a").attachedRoutes, 0);
      assert.equal(
        cond(parentConds(r, "HTTPRoute", "default/web", "eg"), "Accepted"),
        "Accepted=False/NotAllowedByListeners",
      );
    });
  });

  describe("several TCPRoutes or UDPRoutes on one listener", () => {
    /** Two routes of `kind` on the listener `l4`: `b-older` is older, `a-newer` sorts first by name. */
    function twoRoutes(kind: string, protocol: string): TranslateResult {
      const l4Route = (name: string, created: string, backend: string): string =>
        `${route(kind, name, "{ name: eg, sectionName: l4 }", backend, { created })}\n`;
      return run(`${gateway("eg", `    - { name: l4, protocol: ${protocol}, port: 9310, allowedRoutes: { kinds: [{ kind: ${kind} }], namespaces: { from: Same } } }`)}
---
${l4Route("b-older", "2026-01-01T00:00:00Z", "one")}---
${l4Route("a-newer", "2026-01-01T00:00:01Z", "two")}---
${BACKENDS}`);
    }

    it("TCPRouteMultipleRoutesAttachment: both Accepted, the listener counts 2, only the oldest gets the connections", () => {
      const r = twoRoutes("TCPRoute", "TCP");
      for (const name of ["b-older", "a-newer"]) {
        assert.equal(
          cond(parentConds(r, "TCPRoute", `default/${name}`, "eg"), "Accepted"),
          "Accepted=True/Accepted",
          name,
        );
      }
      // Nothing silently ignored: the newer route's message says which route has the connections.
      const newer = parentConds(r, "TCPRoute", "default/a-newer", "eg").find((c) => c.type === "Accepted");
      assert.match(newer?.message ?? "", /no connections on listener l4 \(older TCPRoute default\/b-older has them\)/);
      const older = parentConds(r, "TCPRoute", "default/b-older", "eg").find((c) => c.type === "Accepted");
      assert.equal(older?.message, "Route is accepted");
      const l = listener(r, "Gateway", "default/eg", "l4");
      assert.equal(l.attachedRoutes, 2);
      assert.equal(cond(l.conditions, "Accepted"), "Accepted=True/Accepted");
      const tcp = irOf(r, "default/eg").tcp ?? [];
      assert.equal(tcp.length, 1);
      assert.deepEqual(
        tcp[0].chains.map((c) => c.destinations.map((d) => d.cluster)),
        [["backend/default/one/0/tcp"]],
      );
    });

    it("UDPRouteMultipleRoutesAttachment: both Accepted, the listener counts 2, only the oldest gets the datagrams", () => {
      const r = twoRoutes("UDPRoute", "UDP");
      for (const name of ["b-older", "a-newer"]) {
        assert.equal(
          cond(parentConds(r, "UDPRoute", `default/${name}`, "eg"), "Accepted"),
          "Accepted=True/Accepted",
          name,
        );
      }
      assert.equal(listener(r, "Gateway", "default/eg", "l4").attachedRoutes, 2);
      const udp = irOf(r, "default/eg").udp ?? [];
      assert.deepEqual(
        udp.map((u) => ({ route: u.route, to: u.destinations.map((d) => d.cluster) })),
        [{ route: "udproute/default/b-older", to: ["backend/default/one/0/udp"] }],
      );
    });
  });

  describe("TLSRoute and TCPRoute on listeners of other protocols and modes", () => {
    it("TLSRouteInvalidNoMatchingListener: a TLSRoute on an HTTP or HTTPS listener is NotAllowedByListeners", () => {
      const tlsRoute = (name: string, gw: string): string =>
        `${route("TLSRoute", name, `{ name: ${gw} }`, "one", { hostnames: "tls.example.com" })}\n`;
      const r = run(`${gateway("http-only", `    - { name: http, port: 80, protocol: HTTP }`)}
---
${gateway("https-only", `    - { name: https, port: 443, protocol: HTTPS, tls: { mode: Terminate, certificateRefs: [{ name: any-cert }] } }`)}
---
${tlsRoute("on-http", "http-only")}---
${tlsRoute("on-https", "https-only")}---
${CERTS}---
${BACKENDS}`);
      for (const [name, gw] of [
        ["on-http", "http-only"],
        ["on-https", "https-only"],
      ]) {
        const c = parentConds(r, "TLSRoute", `default/${name}`, gw);
        assert.equal(cond(c, "Accepted"), "Accepted=False/NotAllowedByListeners", name);
        assert.match(c.find((x) => x.type === "Accepted")?.message ?? "", /TLSRoute/);
        assert.equal(status<WithListeners>(r, "Gateway", `default/${gw}`).listeners[0].attachedRoutes, 0);
      }
    });

    it("TLSRouteListenerPassthroughSupportedKinds: TCPRoute on a Passthrough TLS listener is InvalidRouteKinds and does not attach", () => {
      const r = run(`${gateway(
        "eg",
        `    - name: tls-passthrough
      port: 443
      protocol: TLS
      allowedRoutes: { namespaces: { from: Same }, kinds: [{ kind: TCPRoute }, { kind: TLSRoute }] }
      tls: { mode: Passthrough }
    - { name: pass-default, port: 444, protocol: TLS, tls: { mode: Passthrough } }`,
      )}
---
${route("TCPRoute", "tcp", "{ name: eg }", "one")}
---
${BACKENDS}`);
      const l = listener(r, "Gateway", "default/eg", "tls-passthrough");
      assert.deepEqual(
        l.supportedKinds.map((k) => k.kind),
        ["TLSRoute"],
      );
      assert.equal(cond(l.conditions, "ResolvedRefs"), "ResolvedRefs=False/InvalidRouteKinds");
      assert.match(l.conditions.find((c) => c.type === "ResolvedRefs")?.message ?? "", /TCPRoute.*Passthrough/);
      assert.equal(l.attachedRoutes, 0);
      const byDefault = listener(r, "Gateway", "default/eg", "pass-default");
      assert.deepEqual(
        byDefault.supportedKinds.map((k) => k.kind),
        ["TLSRoute"],
      );
      assert.equal(
        cond(parentConds(r, "TCPRoute", "default/tcp", "eg"), "Accepted"),
        "Accepted=False/NotAllowedByListeners",
      );
    });

    it("Envoy Gateway's tls-termination example: a TLS listener in Terminate mode takes a TCPRoute by default (TLS-terminated TCP)", () => {
      // examples/kubernetes/tls-termination.yaml in Envoy Gateway: no allowedRoutes.kinds, one TCPRoute.
      const r = run(`${gateway(
        "eg",
        `    - name: https
      port: 443
      protocol: TLS
      allowedRoutes: { namespaces: { from: Same } }
      tls: { mode: Terminate, certificateRefs: [{ group: "", kind: Secret, name: any-cert }] }`,
      )}
---
${route("TCPRoute", "backend", "{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }", "one")}
---
${CERTS}---
${BACKENDS}`);
      const l = listener(r, "Gateway", "default/eg", "https");
      assert.deepEqual(l.supportedKinds.map((k) => k.kind).sort(), ["TCPRoute", "TLSRoute"]);
      assert.equal(cond(l.conditions, "ResolvedRefs"), "ResolvedRefs=True/ResolvedRefs");
      assert.equal(l.attachedRoutes, 1);
      assert.equal(cond(parentConds(r, "TCPRoute", "default/backend", "eg"), "Accepted"), "Accepted=True/Accepted");
      const [listenerIr] = irOf(r, "default/eg").tcp ?? [];
      assert.equal(listenerIr?.port, 443);
      assert.deepEqual(
        listenerIr.chains.map((c) => ({ names: c.serverNames, tls: c.tls !== undefined, to: c.destinations })),
        [{ names: [], tls: true, to: [{ cluster: "backend/default/one/0/tcp", weight: 1 }] }],
      );
    });

    it("TLSRouteListenerTerminateSupportedKinds: a Terminate TLS listener listing TLSRoute and TCPRoute resolves both", () => {
      const r = run(`${gateway(
        "eg",
        `    - name: tls-terminate
      port: 8443
      protocol: TLS
      hostname: tls.example.com
      allowedRoutes: { namespaces: { from: Same }, kinds: [{ kind: TLSRoute }, { kind: TCPRoute }] }
      tls: { mode: Terminate, certificateRefs: [{ name: term-cert }] }`,
      )}
---
${CERTS}`);
      const l = listener(r, "Gateway", "default/eg", "tls-terminate");
      assert.deepEqual(
        l.supportedKinds.map((k) => k.kind),
        ["TLSRoute", "TCPRoute"],
      );
      assert.equal(cond(l.conditions, "ResolvedRefs"), "ResolvedRefs=True/ResolvedRefs");
      assert.equal(cond(l.conditions, "Accepted"), "Accepted=True/Accepted");
    });

    it("TLSRouteMixedTerminationSameNamespace: Terminate and Passthrough listeners share a port, each serving its SNI", () => {
      const tlsRoute = (name: string, host: string, backend: string): string =>
        `${route("TLSRoute", name, "{ name: eg }", backend, { hostnames: host })}\n`;
      const r = run(`${gateway(
        "eg",
        `    - name: tls-terminate
      port: 8883
      protocol: TLS
      hostname: tls.example.com
      allowedRoutes: { namespaces: { from: Same }, kinds: [{ kind: TLSRoute }] }
      tls: { mode: Terminate, certificateRefs: [{ name: term-cert }] }
    - name: tls-passthrough
      port: 8883
      protocol: TLS
      hostname: abc.example.com
      allowedRoutes: { namespaces: { from: Same }, kinds: [{ kind: TLSRoute }] }
      tls: { mode: Passthrough }`,
      )}
---
${tlsRoute("terminate", "tls.example.com", "one")}---
${tlsRoute("passthrough", "abc.example.com", "two")}---
${CERTS}---
${BACKENDS}`);
      for (const name of ["tls-terminate", "tls-passthrough"]) {
        const l = listener(r, "Gateway", "default/eg", name);
        assert.equal(cond(l.conditions, "Accepted"), "Accepted=True/Accepted", name);
        assert.equal(l.attachedRoutes, 1, name);
      }
      const tcp = irOf(r, "default/eg").tcp ?? [];
      assert.equal(tcp.length, 1);
      assert.deepEqual(
        tcp[0].chains.map((c) => ({ names: c.serverNames, tls: c.tls !== undefined, to: c.destinations[0]?.cluster })),
        [
          { names: ["abc.example.com"], tls: false, to: "backend/default/two/0/tcp" },
          { names: ["tls.example.com"], tls: true, to: "backend/default/one/0/tcp" },
        ],
      );
    });
  });

  describe("GatewayRouteHostnameIntersectionPrecedence: the route's own hostname before its age", () => {
    /**
     * Gateway `eg` with one listener of `protocol` for `listenerHost`; an older route of `kind` for `olderHost`
     * (backend one) and a newer one for `newerHost` (backend two); `rules(backend)` gives each route's rules.
     */
    function case_(o: {
      kind: string;
      protocol: string;
      listenerHost: string;
      olderHost: string;
      newerHost: string;
      rules: (backend: string, older: boolean) => string;
    }): TranslateResult {
      const route = (name: string, created: string, host: string, backend: string, older: boolean): string =>
        `apiVersion: gateway.networking.k8s.io/v1
kind: ${o.kind}
metadata: { name: ${name}, namespace: default, creationTimestamp: "${created}" }
spec:
  parentRefs: [{ name: eg }]
  hostnames: ["${host}"]
  rules: ${o.rules(backend, older)}
`;
      const tls = o.protocol === "TLS" ? ", tls: { mode: Passthrough }" : "";
      return run(`${gateway("eg", `    - { name: l, protocol: ${o.protocol}, port: 443, hostname: "${o.listenerHost}"${tls} }`)}
---
${route("older", "2026-01-01T00:00:00Z", o.olderHost, "one", true)}---
${route("newer", "2026-01-01T00:00:01Z", o.newerHost, "two", false)}---
${BACKENDS}`);
    }

    /** The backends of the routes of the virtual host for `host`, in Envoy's match order. */
    function vhostBackends(r: TranslateResult, host: string): string[] {
      const vh = irOf(r, "default/eg").http[0]?.virtualHosts.find((v) => v.domains.includes(host));
      assert.ok(vh, `no virtual host for ${host}`);
      return vh.routes
        .map((x) => JSON.stringify(x.action))
        .map((a) => (a.includes("backend/default/two/") ? "two" : "one"));
    }

    const http = (prefix: (older: boolean) => string) => (backend: string, older: boolean) =>
      `[{ matches: [{ path: { type: PathPrefix, value: "${prefix(older)}" } }], backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }] }]`;

    // On an HTTP listener the newer, more specific route's virtual host routes come first.
    for (const [title, kind, [listenerHost, olderHost], rules] of [
      [
        "HTTPRouteMultipleRoutesAttachmentSameHostnameIntersection: exact beats an older wildcard, even with a shorter path prefix",
        "HTTPRoute",
        ["abc.example.com", "*.example.com"],
        http((older) => (older ? "/path/prefix" : "/path")),
      ],
      [
        "HTTPRouteMultipleRoutesAttachmentSameHostnameIntersection: *.example.com beats an older *.com on listener *.example.com",
        "HTTPRoute",
        ["*.example.com", "*.com"],
        http(() => "/"),
      ],
      [
        "GRPCRouteMultipleRoutesAttachmentSameHostnameIntersection: exact beats an older wildcard",
        "GRPCRoute",
        ["abc.example.com", "*.example.com"],
        (backend: string) => backendRef(backend),
      ],
    ] as const) {
      it(title, () => {
        const r = case_({ kind, protocol: "HTTP", listenerHost, olderHost, newerHost: listenerHost, rules });
        assert.deepEqual(vhostBackends(r, listenerHost), ["two", "one"]);
      });
    }

    it("TLSRouteMultipleRoutesAttachmentSameHostnameIntersection: the SNI name goes to the more specific route, not the older", () => {
      for (const [listenerHost, olderHost, newerHost] of [
        ["abc.example.com", "*.example.com", "abc.example.com"],
        ["*.example.com", "*.com", "*.example.com"],
      ]) {
        const r = case_({
          kind: "TLSRoute",
          protocol: "TLS",
          listenerHost,
          olderHost,
          newerHost,
          rules: (backend) => backendRef(backend),
        });
        const chains = (irOf(r, "default/eg").tcp ?? [])[0]?.chains ?? [];
        assert.deepEqual(
          chains.map((c) => `${c.serverNames.join(",")}->${c.destinations.map((d) => d.cluster).join(",")}`),
          [`${listenerHost}->backend/default/two/0/tcp`],
          listenerHost,
        );
      }
    });
  });

  describe("ListenerSet conflicts", () => {
    it("ListenerSetProtocolConflict: only the listener whose protocol conflicts is marked, not its siblings", () => {
      const ls = (name: string, listeners: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: ${name}, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  parentRef: { kind: Gateway, group: gateway.networking.k8s.io, name: eg }
  listeners:
${listeners}`;
      const r = run(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  allowedListeners: { namespaces: { from: Same } }
  listeners:
    - { name: gateway-listener, port: 80, protocol: HTTP, hostname: gateway-listener.com }
    - { name: protocol-conflict-with-gateway-listener, port: 80, protocol: HTTP, hostname: gw2.com }
---
${ls(
  "ls-gateway-1",
  `  - { name: listener-set-1-listener, port: 80, protocol: HTTP, hostname: ls1.com }
  - { name: protocol-conflict-with-gateway-listener, port: 80, protocol: TCP }
  - { name: protocol-conflict-with-listener-set-listener, port: 80, protocol: HTTP, hostname: ls1b.com }
`,
)}---
${ls("ls-gateway-2", "  - { name: protocol-conflict-with-gateway-listener, port: 80, protocol: TCP }\n")}`);
      const ok = (name: string): void => {
        const l = listener(r, "ListenerSet", "default/ls-gateway-1", name);
        assert.deepEqual(
          ["Accepted", "Programmed", "Conflicted"].map((t) => cond(l.conditions, t)),
          ["Accepted=True/Accepted", "Programmed=True/Programmed", "Conflicted=False/NoConflicts"],
          name,
        );
      };
      ok("listener-set-1-listener");
      ok("protocol-conflict-with-listener-set-listener");
      for (const key of ["default/ls-gateway-1", "default/ls-gateway-2"]) {
        const l = listener(r, "ListenerSet", key, "protocol-conflict-with-gateway-listener");
        assert.deepEqual(
          ["Accepted", "Programmed", "Conflicted"].map((t) => cond(l.conditions, t)),
          ["Accepted=False/ProtocolConflict", "Programmed=False/ProtocolConflict", "Conflicted=True/ProtocolConflict"],
          key,
        );
      }
      const one = status<WithListeners>(r, "ListenerSet", "default/ls-gateway-1");
      assert.equal(cond(one.conditions, "Accepted"), "Accepted=True/ListenersNotValid");
      assert.equal(cond(one.conditions, "Programmed"), "Programmed=True/Programmed");
      const two = status<WithListeners>(r, "ListenerSet", "default/ls-gateway-2");
      assert.equal(cond(two.conditions, "Accepted"), "Accepted=False/ListenersNotValid");
      assert.equal(status<WithListeners>(r, "Gateway", "default/eg").attachedListenerSets, 1);
    });

    it("listeners of one ListenerSet that conflict among themselves (no earlier listener on the port) are all marked", () => {
      const r = run(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  allowedListeners: { namespaces: { from: Same } }
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: ls, namespace: default }
spec:
  parentRef: { name: eg }
  listeners:
    - { name: web, port: 81, protocol: HTTP }
    - { name: raw, port: 81, protocol: TCP }
    - { name: other, port: 82, protocol: HTTP }
`);
      for (const name of ["web", "raw"]) {
        assert.equal(
          cond(listener(r, "ListenerSet", "default/ls", name).conditions, "Conflicted"),
          "Conflicted=True/ProtocolConflict",
          name,
        );
      }
      assert.equal(
        cond(listener(r, "ListenerSet", "default/ls", "other").conditions, "Conflicted"),
        "Conflicted=False/NoConflicts",
      );
    });
  });
});

/**
 * SecurityPolicy `extAuth` on the wire (real Envoy, standalone, an echo backend), against an HTTP and a gRPC
 * authorization service started here (test/support/ext-authz-servers.ts), one route and policy per case:
 * - allowed (`authorization: allow`) → 200, and the backend sees the header the service added (HTTP: a
 *   `headersToBackend` header of its answer, not the others; gRPC: an ok_response header);
 * - denied → the client gets the service's status, body and header (an HTTP service's header too: Envoy 1.37.0
 *   dropped it, envoyproxy/envoy#43104, fixed in the Envoy egts runs now);
 * - `headersToExtAuth` limits what the service sees; `http.path` prefixes the check request's path;
 * - `bodyToExtAuth` forwards the body, a body over `maxRequestBytes` gets 413 without a check;
 * - context extensions (inline and from a ConfigMap) and, with includeRouteMetadata, Envoy Gateway's route
 *   metadata (the HTTPRoute) reach the gRPC service;
 * - a gRPC service over TLS (a Service verified by a BackendTLSPolicy with the test's CA) allows and denies;
 * - a service that does not answer → 403, `statusOnError` → that status (gRPC and HTTP: Envoy 1.37.0 answered an
 *   HTTP service's failure with 403 whatever it said, envoyproxy/envoy#43267, fixed since), `failOpen` → allowed;
 * - `backendSettings.retry`: a check that fails once (HTTP 503 / gRPC UNAVAILABLE) is retried and allowed;
 * - `recomputeRoute`: the header the service added selects another route (a header match) only when set;
 * - `timeout`: a service slower than it → 403 after about the timeout, not after the service's delay;
 * - a service that does not resolve → Accepted=False and 500, or with `failOpen` served without ext auth (Envoy
 *   Gateway's documented bypass).
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import {
  startGrpcAuthzServer,
  startHttpAuthzServer,
  type AuthzCheck,
  type AuthzDecision,
  type AuthzServer,
} from "../support/ext-authz-servers";
import { freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, httpRouteYaml, serviceYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa } from "../support/pki";
import { startSecurityGateway } from "../support/security";

/** How long the slow check takes, and the timeout of the policy that calls it. */
const SLOW_MS = 3_000;
const TIMEOUT = "500ms";

/**
 * Allows `authorization: allow` (adding `x-current-user`), else denies with 401, a body and a header; the first
 * check of a path containing `/flaky` fails (HTTP 503, gRPC UNAVAILABLE).
 */
function decide(user: string): (c: AuthzCheck) => AuthzDecision {
  const failed = new Set<string>();
  return (c): AuthzDecision => {
    if (c.path.includes("/flaky") && !failed.has(c.path)) {
      failed.add(c.path);
      return { unavailable: true };
    }
    return c.headers.authorization === "allow"
      ? { allow: true, headers: { "x-current-user": user, "x-not-forwarded": "1" } }
      : { allow: false, status: 401, body: `denied by ${user}`, headers: { "x-reason": `no ${user}` } };
  };
}

const ref = (backend: string): string => `[{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`;

const CASES = {
  http: `  extAuth:
    http:
      backendRefs: ${ref("authz-http")}
      path: /auth
      headersToBackend: [x-current-user]
    headersToExtAuth: [x-tenant]
    bodyToExtAuth: { maxRequestBytes: 64 }`,
  grpc: `  extAuth:
    grpc:
      backendRefs: ${ref("authz-grpc")}
    headersToExtAuth: [authorization, x-tenant]
    bodyToExtAuth: { maxRequestBytes: 64 }
    includeRouteMetadata: true
    contextExtensions:
      - { name: tenant, type: Value, value: acme }
      - { name: region, type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: authz-context, key: region } }`,
  down: `  extAuth: { grpc: { backendRefs: ${ref("authz-down")} } }`,
  "down-status": `  extAuth: { statusOnError: 503, http: { backendRefs: ${ref("authz-down")} } }`,
  "down-status-grpc": `  extAuth: { statusOnError: 503, grpc: { backendRefs: ${ref("authz-down")} } }`,
  "down-open": `  extAuth: { failOpen: true, grpc: { backendRefs: ${ref("authz-down")} } }`,
  slow: `  extAuth: { timeout: ${TIMEOUT}, grpc: { backendRefs: ${ref("authz-grpc")} } }`,
  "http-retry": `  extAuth:
    http:
      backendRefs: ${ref("authz-http")}
      backendSettings: { retry: { numRetries: 2, retryOn: { triggers: [5xx] } } }`,
  "grpc-retry": `  extAuth:
    grpc:
      backendRefs: ${ref("authz-grpc")}
      backendSettings: { retry: { numRetries: 2, retryOn: { triggers: [unavailable] } } }`,
  recompute: `  extAuth:
    recomputeRoute: true
    http: { backendRefs: ${ref("authz-http")}, headersToBackend: [x-current-user] }`,
  "no-recompute": `  extAuth:
    http: { backendRefs: ${ref("authz-http")}, headersToBackend: [x-current-user] }`,
  "grpc-tls": `  extAuth: { grpc: { backendRefs: [{ name: authz-tls, port: 443 }] } }`,
};

/** Policies whose service does not resolve (a Backend that does not exist): Accepted=False. */
const UNRESOLVED = {
  unresolved: `  extAuth: { grpc: { backendRefs: ${ref("nowhere")} } }`,
  "unresolved-open": `  extAuth: { failOpen: true, grpc: { backendRefs: ${ref("nowhere")} } }`,
};

/** The name the TLS service's certificate is issued for (BackendTLSPolicy validation.hostname). */
const TLS_HOST = "authz.example.com";

/** Service authz-tls:443 → 127.0.0.1:`target`, verified with the CA in ConfigMap authz-ca. */
function tlsServiceYaml(target: number, ca: string): string {
  return `${serviceYaml("authz-tls", 443, [{ port: target }])}---
${caConfigMapYaml("authz-ca", ca)}---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: authz-tls, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: authz-tls }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: authz-ca }]
    hostname: ${TLS_HOST}
`;
}

/**
 * For the recompute cases' hosts, a second HTTPRoute matching the header the service adds (`x-current-user`),
 * which marks its answers with `x-picked: header-route`.
 */
const HEADER_ROUTES = ["recompute", "no-recompute"]
  .map((name) =>
    httpRouteYaml(
      `${name}-by-user`,
      `${name}.example.com`,
      `    - matches: [{ path: { type: PathPrefix, value: / }, headers: [{ name: x-current-user, value: http-user }] }]
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-picked, value: header-route }] }
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`,
    ),
  )
  .join("---\n");

const CONTEXT = `apiVersion: v1
kind: ConfigMap
metadata: { name: authz-context, namespace: default }
data: { region: eu-west }
`;

describe("SecurityPolicy extAuth (real Envoy, HTTP and gRPC services)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let httpAuthz: AuthzServer | undefined;
  let grpcAuthz: AuthzServer | undefined;
  let tlsAuthz: AuthzServer | undefined;

  before(async () => {
    httpAuthz = await startHttpAuthzServer({ decide: decide("http-user") });
    grpcAuthz = await startGrpcAuthzServer({
      decide: decide("grpc-user"),
      delayMs: (c) => (c.path.startsWith("/slow") ? SLOW_MS : 0),
    });
    const ca = makeCa("egts extauth test ca");
    tlsAuthz = await startGrpcAuthzServer({ decide: decide("tls-user"), tls: ca.issue(TLS_HOST) });
    const down = await freePort();
    const backends = [
      backendYaml("authz-http", httpAuthz.port),
      backendYaml("authz-grpc", grpcAuthz.port),
      backendYaml("authz-down", down),
      tlsServiceYaml(tlsAuthz.port, ca.cert),
      CONTEXT,
      HEADER_ROUTES,
    ].join("---\n");
    g = await startSecurityGateway({ ...CASES, ...UNRESOLVED }, { "authz.yaml": backends });
  });
  after(async () => {
    await g?.close();
    await httpAuthz?.close();
    await grpcAuthz?.close();
    await tlsAuthz?.close();
  });

  const send = (name: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), path, {
      headers,
      ...(body !== undefined ? { method: "POST", body } : {}),
    });
  /** The request headers the echo backend saw. */
  const upstream = (r: HttpResult): Record<string, string> =>
    (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  /** The checks a service received for `path` (HTTP: under the `/auth` prefix). */
  const checksOf = (s: AuthzServer | undefined, path: string): AuthzCheck[] =>
    (s as AuthzServer).checks.filter((c) => c.path === path || c.path === `/auth${path}`);

  /** The policy's condition of `type` (Accepted by default). */
  const accepted = (
    name: string,
    type = "Accepted",
  ): { status: string; reason: string; message: string } | undefined => {
    const st = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; reason: string; message: string }[] }[] } | undefined;
    return st?.ancestors?.[0]?.conditions.find((c) => c.type === type);
  };

  it("policies are accepted", () => {
    for (const name of Object.keys(CASES)) assert.equal(accepted(name)?.status, "True", accepted(name)?.message);
  });

  it("a service that does not resolve: Accepted=False and 500; with failOpen served without ext auth", async () => {
    for (const name of Object.keys(UNRESOLVED)) {
      assert.equal(accepted(name)?.status, "False", name);
      assert.match(accepted(name)?.message ?? "", /^ExtAuth: Backend default\/nowhere/, name);
    }
    assert.equal((await send("unresolved", "/u", { authorization: "allow" })).status, 500);
    const open = await send("unresolved-open", "/u-open", { authorization: "nope" });
    assert.equal(open.status, 200, "failOpen: Envoy Gateway's documented bypass");
    assert.equal(checksOf(grpcAuthz, "/u-open").length, 0, "no check was made");
  });

  it("HTTP service: allowed → 200 with headersToBackend copied upstream; denied → the service's answer", async () => {
    const ok = await send("http", "/h-allow", { authorization: "allow", "x-tenant": "t1", "x-other": "o" });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(upstream(ok)["x-current-user"], "http-user", "headersToBackend header reaches the backend");
    assert.equal(upstream(ok)["x-not-forwarded"], undefined, "a header not in headersToBackend is not copied");
    const [check] = checksOf(httpAuthz, "/h-allow");
    assert.ok(check, "the HTTP service got the check");
    assert.equal(check.path, "/auth/h-allow", "http.path prefixes the check request's path");
    assert.equal(check.headers["x-tenant"], "t1", "a headersToExtAuth header is sent");
    assert.equal(check.headers.authorization, "allow", "Authorization is always sent to an HTTP service");
    assert.equal(check.headers["x-other"], undefined, "headers outside headersToExtAuth are not sent");

    const denied = await send("http", "/h-deny", { authorization: "nope" });
    assert.equal(denied.status, 401);
    assert.equal(denied.body, "denied by http-user");
    assert.equal(denied.headers["x-reason"], "no http-user", "the denied answer's header reaches the client");
  });

  it("gRPC service: allowed → ok_response headers upstream; denied → denied_response; context extensions", async () => {
    const ok = await send("grpc", "/g-allow", { authorization: "allow", "x-tenant": "t2", "x-other": "o" });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(upstream(ok)["x-current-user"], "grpc-user", "the ok_response header reaches the backend");
    const [check] = checksOf(grpcAuthz, "/g-allow");
    assert.ok(check, "the gRPC service got the check");
    assert.deepEqual(check.contextExtensions, { tenant: "acme", region: "eu-west" });
    assert.deepEqual(
      check.routeMetadata,
      { resources: [{ kind: "HTTPRoute", name: "grpc", namespace: "default" }] },
      "includeRouteMetadata: Envoy Gateway's route metadata reaches the service",
    );
    assert.equal(check.headers["x-tenant"], "t2", "a headersToExtAuth header is sent");
    assert.equal(check.headers["x-other"], undefined, "headers outside headersToExtAuth are not sent");

    const denied = await send("grpc", "/g-deny", { authorization: "nope" });
    assert.equal(denied.status, 401);
    assert.equal(denied.body, "denied by grpc-user");
    assert.equal(denied.headers["x-reason"], "no grpc-user");
  });

  it("gRPC service over TLS (Service + BackendTLSPolicy): allowed and denied", async () => {
    const ok = await send("grpc-tls", "/t-allow", { authorization: "allow" });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(upstream(ok)["x-current-user"], "tls-user");
    assert.equal(checksOf(tlsAuthz, "/t-allow").length, 1, "the TLS service got the check");
    const denied = await send("grpc-tls", "/t-deny", { authorization: "nope" });
    assert.equal(denied.status, 401);
    assert.equal(denied.body, "denied by tls-user");
  });

  it("backendSettings.retry: a check that fails once is retried (HTTP 5xx, gRPC unavailable); without retry it fails", async () => {
    for (const [name, service] of [
      ["http-retry", httpAuthz],
      ["grpc-retry", grpcAuthz],
    ] as const) {
      const r = await send(name, `/${name}/flaky`, { authorization: "allow" });
      assert.equal(r.status, 200, `${name}: ${r.body}`);
      assert.equal(checksOf(service, `/${name}/flaky`).length, 2, `${name}: the service got the check twice`);
    }
    const once = await send("grpc", "/grpc/flaky", { authorization: "allow" });
    assert.equal(once.status, 403, "without retry a failed check is an error (403)");
    assert.equal(checksOf(grpcAuthz, "/grpc/flaky").length, 1);
  });

  it("recomputeRoute: the header the service added picks another route; without it the first route stays", async () => {
    const re = await send("recompute", "/r", { authorization: "allow" });
    assert.equal(re.status, 200, re.body);
    assert.equal(re.headers["x-picked"], "header-route", "the route was chosen again with the added header");
    const kept = await send("no-recompute", "/r", { authorization: "allow" });
    assert.equal(kept.status, 200, kept.body);
    assert.equal(upstream(kept)["x-current-user"], "http-user");
    assert.equal(kept.headers["x-picked"], undefined, "the route chosen before the check is kept");
  });

  it("bodyToExtAuth: the body reaches both services; over maxRequestBytes → 413 without a check", async () => {
    for (const [name, service] of [
      ["http", httpAuthz],
      ["grpc", grpcAuthz],
    ] as const) {
      const path = `/${name}-body`;
      const r = await send(name, path, { authorization: "allow", "content-type": "text/plain" }, "hello body");
      assert.equal(r.status, 200, `${name}: ${r.body}`);
      assert.equal(checksOf(service, path)[0]?.body, "hello body", `${name}: the service saw the body`);

      const big = await send(name, `${path}-big`, { authorization: "allow" }, "x".repeat(1_000));
      assert.equal(big.status, 413, `${name}: a body over maxRequestBytes`);
      assert.equal(checksOf(service, `${path}-big`).length, 0, `${name}: no check for a body over the limit`);
    }
  });

  it("service down → 403; statusOnError → that status; failOpen → allowed", async () => {
    assert.equal((await send("down", "/d", { authorization: "allow" })).status, 403);
    assert.equal((await send("down-status-grpc", "/d", { authorization: "allow" })).status, 503);
    assert.equal((await send("down-status", "/d", { authorization: "allow" })).status, 503);
    for (const name of ["down-status", "down-status-grpc"]) assert.equal(accepted(name, "Warning"), undefined, name);
    const open = await send("down-open", "/d", { authorization: "allow" });
    assert.equal(open.status, 200, open.body);
  });

  it(`timeout ${TIMEOUT}: a slower service → 403 after about the timeout`, async () => {
    const started = Date.now();
    const r = await send("slow", "/slow", { authorization: "allow" });
    const took = Date.now() - started;
    assert.equal(r.status, 403, r.body);
    assert.equal(checksOf(grpcAuthz, "/slow").length, 1, "the service got the check");
    assert.ok(took < SLOW_MS - 1_000, `answered after ${took} ms, before the service's ${SLOW_MS} ms`);
  });
});

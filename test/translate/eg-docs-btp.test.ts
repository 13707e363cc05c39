/**
 * Envoy Gateway's task-doc BackendTrafficPolicy YAML (testdata/eg-docs/backend-traffic-policy/, saved unchanged)
 * through `translate`, on the quickstart Gateway the docs assume (`eg` with an HTTP listener, HTTPRoute `backend`
 * for www.example.com to Service `backend`) plus the routes, Services and Backends the tasks create elsewhere on
 * their pages (`http-ratelimit`, `ha-example`, `backend-utilization`, `zone-aware-routing`, Service `httpbin`, and
 * the gRPC routing task's Gateway `example-gateway` with GRPCRoute `yages`).
 * EXPECTED lists, per example file, whether egts accepts its BackendTrafficPolicies today and, when not, the field
 * the Accepted=False message names: flip an entry (accepted: true, no field) when its field lands.
 */
import * as assert from "node:assert/strict";
import type { KubeObject } from "../../operator/src/resources/meta";
import type { TranslateOptions } from "../../operator/src/translate/translate";
import { inClusterRateLimit } from "../../operator/src/config/envoy-gateway-ratelimit";
import {
  checkDocExample,
  docExamples,
  parseDocYaml,
  type DocExpectation,
  quickstartRouteYaml,
} from "../support/eg-docs";
import { testdataDir } from "../support/golden";
import { gatewayWithListenersYaml, httpRouteYaml, serviceYaml } from "../support/manifests";

/** File (without .yaml) → expectation for each of its BackendTrafficPolicies; every file must be listed. */
const EXPECTED: Readonly<Record<string, DocExpectation>> = {
  "backend-utilization": { accepted: true },
  "bandwidth-limit-request": { accepted: true },
  "bandwidth-limit-response": { accepted: true },
  "circuitbreaker-for-route": { accepted: true },
  "connect-proxy": { accepted: true },
  "connect-terminate": { accepted: true },
  "fault-injection-grpc": { accepted: true },
  "fault-injection-http": { accepted: true },
  "global-ratelimit-all-requests": { accepted: true },
  "global-ratelimit-client-ip": { accepted: true },
  "global-ratelimit-distinct-except-admin": { accepted: true },
  "global-ratelimit-jwt-claims": { accepted: true },
  "global-ratelimit-merging": { accepted: true },
  "global-ratelimit-method": { accepted: true },
  "global-ratelimit-path": { accepted: true },
  "global-ratelimit-specific-user": { accepted: true },
  "grpc-timeouts-streaming": { accepted: true },
  "grpc-timeouts-unary": { accepted: true },
  "lb-consistent-hash-cookie": { accepted: true },
  "lb-consistent-hash-header": { accepted: true },
  "lb-consistent-hash-source-ip": { accepted: true },
  "lb-least-request": { accepted: true },
  "lb-random": { accepted: true },
  "lb-round-robin": { accepted: true },
  "local-ratelimit-all-requests": { accepted: true },
  "local-ratelimit-method": { accepted: false, field: "spec.rateLimit" },
  "local-ratelimit-path": { accepted: true },
  "local-ratelimit-specific-user": { accepted: true },
  "local-ratelimit-unless-test-org": { accepted: true },
  "passive-health-check": { accepted: true },
  "request-buffer": { accepted: true },
  "response-compression": { accepted: true },
  "response-compression-deprecated": { accepted: true },
  "response-compression-min-content-length": { accepted: true },
  "response-override": { accepted: true },
  "response-override-source-backend": { accepted: false, field: "spec.responseOverride" },
  "response-override-source-local": { accepted: false, field: "spec.responseOverride" },
  "retry-for-route": { accepted: true },
  "zone-aware-routing": { accepted: false, field: "spec.loadBalancer.zoneAware.preferLocal" },
};

/**
 * The EnvoyGateway configuration the tasks assume: Backend enabled, as the failover task requires
 * (`extensionApis.enableBackend`), so its routes forward; the global rate limit task's Redis-backed service.
 */
const OPTIONS: TranslateOptions = {
  backends: { enabled: true },
  rateLimit: inClusterRateLimit(
    {
      backend: { type: "Redis", redis: { url: "redis.redis-system.svc.cluster.local:6379" } },
      timeoutMs: 20,
      failClosed: false,
      telemetry: { prometheusDisabled: false },
    },
    "envoy-gateway-system",
  ),
};

const DIR = testdataDir("eg-docs", "backend-traffic-policy");

/** The quickstart objects plus the routes and backends the examples target from elsewhere on their pages. */
function environment(): string {
  return `${gatewayWithListenersYaml("    - { name: http, protocol: HTTP, port: 80 }")}---
${serviceYaml("backend", 3000, [{ port: 3000 }])}---
${quickstartRouteYaml("backend", "www.example.com")}---
${quickstartRouteYaml("http-ratelimit", "ratelimit.example")}---
${quickstartRouteYaml("backend-utilization", "www.example.com", "/backend-utilization")}---
${quickstartRouteYaml("zone-aware-routing", "www.example.com", "/zone-aware-routing")}---
${serviceYaml("httpbin", 80, [{ port: 80 }])}---
${httpRouteYaml(
  "ha-example",
  "www.example.com",
  `    - matches: [{ path: { type: PathPrefix, value: /test } }]
      backendRefs:
        - { group: gateway.envoyproxy.io, kind: Backend, name: active, port: 3000 }
        - { group: gateway.envoyproxy.io, kind: Backend, name: passive, port: 3000 }`,
)}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: active, namespace: default }
spec:
  endpoints: [{ ip: { address: 10.0.0.1, port: 3000 } }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: passive, namespace: default }
spec:
  fallback: true
  endpoints: [{ ip: { address: 10.0.0.2, port: 3000 } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: example-gateway, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: yages, namespace: default }
spec:
  parentRefs: [{ name: example-gateway }]
  hostnames: [grpc-example.com]
  rules: [{ backendRefs: [{ name: yages, port: 9000 }] }]
---
${serviceYaml("yages", 9000, [{ port: 9000 }])}`;
}

describe("Envoy Gateway task-doc BackendTrafficPolicy examples (testdata/eg-docs) through translate", () => {
  const files = docExamples(DIR);
  let env: KubeObject[];

  before(() => {
    env = parseDocYaml("environment", environment());
  });

  it("every example is listed in the expectation table, and every entry has its file", () => {
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const name of files) {
    const want = EXPECTED[name];
    const label = want?.accepted ? "Accepted" : `Accepted=False naming ${want?.field}`;
    it(`${name}: ${label}`, () => {
      assert.ok(want, `${name}.yaml is not in EXPECTED`);
      // An example's GRPCRoute in an apiVersion no longer served (the fault injection task's v1alpha2) would be
      // refused by the API server, so the environment's copy (the GRPC routing task's `yages`) stays.
      checkDocExample({
        kind: "BackendTrafficPolicy",
        dir: DIR,
        name,
        want,
        env,
        options: OPTIONS,
        refusedChangesIr: false,
      });
    });
  }
});

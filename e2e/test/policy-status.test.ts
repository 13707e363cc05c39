/**
 * Envoy Gateway policies through a real API server (Kubernetes tier): the controller watches the policy
 * kinds (their CRDs from crds/), resolves their targets and writes `status.ancestors` with our
 * controllerName, EG's conditions and observedGeneration — a Gateway-level ClientTrafficPolicy Overridden by
 * a listener-level one, one whose Gateway does not exist (TargetNotFound), a SecurityPolicy whose users Secret
 * does not exist (Accepted=False with Envoy Gateway's message; its route fails closed). Each policy status is written once: another translation that changes
 * nothing for them does not patch them again. No Envoy is needed.
 */
import assert from "node:assert/strict";
import type { Controller } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { eventually } from "../../test/support/http";
import { prepareCluster, requestCount, startKubeCluster, startTestController, type KubeCluster } from "../harness";

const NS = "envoy-gateway-system";

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
}
interface Ancestor {
  readonly ancestorRef: { kind: string; name: string; sectionName?: string };
  readonly controllerName: string;
  readonly conditions: Condition[];
}
interface Policy {
  metadata: { name: string; generation: number; resourceVersion: string };
  status?: { ancestors?: Ancestor[] };
}

const POLICY = (name: string, target: string): string => `---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [${target}]
  timeout: { http: { idleTimeout: 30s } }
`;

const MANIFESTS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: http, protocol: HTTP, port: 18090 }
    - { name: admin, protocol: HTTP, port: 18091 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /web } }] }]
${POLICY("gateway-wide", "{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }")}${POLICY(
  "admin-only",
  "{ group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: admin }",
)}${POLICY("nowhere", "{ group: gateway.networking.k8s.io, kind: Gateway, name: missing }")}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: auth, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  basicAuth: { users: { name: htpasswd } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: retries, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  retry: { numRetries: 3 }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: gateway-traffic, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  timeout: { http: { requestTimeout: 10s } }
  circuitBreaker: { maxConnections: 10 }
`;

describe("policy status through the API server (Kubernetes tier)", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  let controller: Controller;
  const get = (kind: string, name: string): Promise<Policy> =>
    cluster.kubectlJson<Policy>(["get", kind, name, "-n", "default"]);
  const accepted = (a: Ancestor | undefined): Condition | undefined => a?.conditions.find((c) => c.type === "Accepted");
  /** Successful status PATCHes of `resource` (a 409 from a stale resourceVersion writes nothing). */
  const patches = (resource: string): Promise<number> =>
    requestCount(cluster, [`resource="${resource}"`, 'subresource="status"', 'verb="PATCH"', 'code="200"']);

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    controller = await startTestController(cluster, NS);
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: MANIFESTS });
  });

  after(async () => {
    await controller?.stop();
    await cluster?.stop();
  });

  /** The ancestors of a policy, once its status is written. */
  async function ancestors(kind: string, name: string): Promise<Ancestor[]> {
    await eventually(
      async () => ((await get(kind, name)).status?.ancestors ?? []).length > 0,
      30_000,
      `${kind}/${name} status`,
    );
    return (await get(kind, name)).status?.ancestors ?? [];
  }

  async function checkClientTrafficStatuses(): Promise<void> {
    await eventually(
      async () => (await get("clienttrafficpolicy", "gateway-wide")).status?.ancestors?.[0]?.conditions.length === 2,
      30_000,
      "the Gateway-level policy's status with Overridden",
    );
    const gw = await ancestors("clienttrafficpolicy", "gateway-wide");
    assert.equal(gw.length, 1);
    assert.deepEqual(gw[0].ancestorRef, {
      group: "gateway.networking.k8s.io",
      kind: "Gateway",
      namespace: "default",
      name: "eg",
    });
    assert.equal(gw[0].controllerName, DEFAULT_CONTROLLER_NAME);
    assert.equal(accepted(gw[0])?.status, "True");
    assert.equal(accepted(gw[0])?.observedGeneration, 1);
    const overridden = gw[0].conditions.find((c) => c.type === "Overridden");
    assert.equal(
      overridden?.message,
      "There are existing ClientTrafficPolicies that are overriding these sections [admin]",
    );
    const admin = await ancestors("clienttrafficpolicy", "admin-only");
    assert.equal(admin[0].ancestorRef.sectionName, "admin");
    assert.equal(accepted(admin[0])?.status, "True");
    const nowhere = await ancestors("clienttrafficpolicy", "nowhere");
    assert.equal(accepted(nowhere[0])?.reason, "TargetNotFound");
    assert.match(accepted(nowhere[0])?.message ?? "", /spec\.targetRefs\[0\]: Gateway default\/missing not found/);
  }

  it("writes each policy's ancestors with EG's conditions, once", async () => {
    await checkClientTrafficStatuses();
    const sp = await ancestors("securitypolicy", "auth");
    assert.equal(accepted(sp[0])?.status, "False");
    assert.match(accepted(sp[0])?.message ?? "", /BasicAuth: secret default\/htpasswd does not exist/);

    const btp = await ancestors("backendtrafficpolicy", "retries");
    assert.equal(accepted(btp[0])?.status, "True", JSON.stringify(btp));
    assert.equal(btp[0].ancestorRef.name, "eg");
    const gwBtp = await ancestors("backendtrafficpolicy", "gateway-traffic");
    // The Gateway-level policy is Overridden for the route that has its own.
    assert.ok(
      gwBtp[0].conditions.some((c) => c.type === "Overridden" && /these routes: \[default\/web\]/.test(c.message)),
      JSON.stringify(gwBtp),
    );

    // Another translation (the route changes) that changes nothing for the policies: no new policy patches.
    const before = await patches("clienttrafficpolicies");
    // At least one write each (a policy may be written again while the objects of the first apply arrive,
    // e.g. Overridden once the listener-level policy is seen); what matters is that none follows below.
    assert.ok(before >= 3, `${before} status patches for 3 ClientTrafficPolicies`);
    const versions = await Promise.all(
      ["gateway-wide", "admin-only", "nowhere"].map((n) => get("clienttrafficpolicy", n)),
    );
    await cluster.kubectl([
      ...["patch", "httproute", "web", "-n", "default", "--type=json", "-p"],
      '[{"op":"replace","path":"/spec/rules/0/matches/0/path/value","value":"/other"}]',
    ]);
    await eventually(
      async () => {
        const route = await cluster.kubectlJson<{
          metadata: { generation: number };
          status?: { parents?: { conditions: Condition[] }[] };
        }>(["get", "httproute", "web", "-n", "default"]);
        return route.status?.parents?.[0]?.conditions.every((c) => c.observedGeneration === 2) === true;
      },
      30_000,
      "the route's status at its new generation (a translation happened)",
    );
    assert.equal(await patches("clienttrafficpolicies"), before, "policy statuses patched again though unchanged");
    const after = await Promise.all(
      ["gateway-wide", "admin-only", "nowhere"].map((n) => get("clienttrafficpolicy", n)),
    );
    assert.deepEqual(
      after.map((p) => p.metadata.resourceVersion),
      versions.map((p) => p.metadata.resourceVersion),
    );
  });
});

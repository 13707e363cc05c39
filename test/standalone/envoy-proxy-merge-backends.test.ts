/**
 * EnvoyProxy `mergeBackends` on real Envoy (standalone). Envoy Gateway's cluster deduplication is egts's default
 * (one cluster per backend, named as Envoy Gateway names merged ones), so a Gateway whose EnvoyProxy enables it is
 * accepted and its two routes to one Backend share one cluster in Envoy (admin /clusters); the exclusivity with
 * `mergeGateways` (on one EnvoyProxy, and a Gateway's own under a class that merges Gateways) and a bad selector
 * are refused with the reason on the Gateway.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { clusterName } from "../../operator/src/translate/backends";
import { MERGE_GATEWAYS_AND_BACKENDS } from "../../operator/src/translate/merge-backends";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithProxyYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const APP = "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]";

const CLASSES = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: merging, namespace: default }
spec: { mergeGateways: true }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: merging }
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: merging, namespace: default }
`;

describe("EnvoyProxy mergeBackends (real Envoy: one cluster per backend; exclusive with mergeGateways)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let backend: EchoBackend;
  const ports: Record<string, number> = {};

  before(async function () {
    backend = await startEchoBackend({ port: await freePort() });
    for (const g of ["mb", "both", "badsel", "undermerge"]) ports[g] = await freePort();
    t = await startTestGateway({
      "class.yaml": CLASSES,
      "backend.yaml": backendYaml("app", backend.port),
      "mb.yaml": [
        gatewayWithProxyYaml("mb", ports.mb, "  mergeBackends: { selector: { matchLabels: { team: a } } }"),
        httpRouteYaml("one", "one.example.com", APP, "mb"),
        httpRouteYaml("two", "two.example.com", APP, "mb"),
      ].join("---\n"),
      "both.yaml": gatewayWithProxyYaml("both", ports.both, "  mergeGateways: true\n  mergeBackends: {}"),
      "badsel.yaml": gatewayWithProxyYaml(
        "badsel",
        ports.badsel,
        "  mergeBackends: { selector: { matchExpressions: [{ key: team, operator: Near }] } }",
      ),
      "undermerge.yaml": gatewayWithProxyYaml("undermerge", ports.undermerge, "  mergeBackends: {}", "merging"),
    });
  });
  after(async () => {
    await t?.close();
    await backend?.close();
  });

  function accepted(gateway: string): Condition | undefined {
    const s = t.gw.statuses.get("Gateway", "default", gateway)?.status as { conditions?: Condition[] } | undefined;
    return s?.conditions?.find((c) => c.type === "Accepted");
  }

  it("is accepted, and two routes to one Backend share one cluster in Envoy", async () => {
    for (const host of ["one.example.com", "two.example.com"])
      await eventually(async () => (await httpGet(ports.mb, host)).status === 200, 20_000, `the route of ${host}`);
    assert.equal(accepted("mb")?.status, "True");
    const admin = await t.gw.runner?.adminUrl("default/mb");
    assert.ok(admin);
    const body = (await (await fetch(`${admin}/clusters?format=json`)).json()) as {
      cluster_statuses: { name: string }[];
    };
    const shared = clusterName("backend", "default", { name: "app" }, "http");
    const ofApp = body.cluster_statuses.map((c) => c.name).filter((n) => n.includes("/default/app/"));
    assert.deepEqual(ofApp, [shared], "one cluster for the backend, named as Envoy Gateway names merged ones");
  });

  it("with mergeGateways on the same EnvoyProxy: refused with Envoy Gateway's message", () => {
    const c = accepted("both");
    assert.equal(c?.status, "False");
    assert.equal(c?.reason, "InvalidParameters");
    assert.ok(c?.message.includes(MERGE_GATEWAYS_AND_BACKENDS), c?.message);
  });

  it("a Gateway's own EnvoyProxy with mergeBackends under a class that merges Gateways: refused", () => {
    const c = accepted("undermerge");
    assert.equal(c?.status, "False");
    assert.equal(c?.reason, "InvalidParameters");
    assert.equal(c?.message, MERGE_GATEWAYS_AND_BACKENDS);
  });

  it("a selector with an unknown operator: refused, naming the field", () => {
    const c = accepted("badsel");
    assert.equal(c?.status, "False");
    assert.match(
      c?.message ?? "",
      /spec\.mergeBackends\.selector\.matchExpressions\[0\]\.operator \(Near\) must be one of/,
    );
  });
});

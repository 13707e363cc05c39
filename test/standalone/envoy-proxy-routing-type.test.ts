/**
 * EnvoyProxy `routingType` on real Envoy (standalone). A Service is modelled as the file provider reads it: a
 * cluster IP of 127.0.0.1 whose Service port is endpoint c's (c stands for what kube-proxy would reach there) and an
 * EndpointSlice whose endpoint is b. With `routingType: Service` every request is answered by c; a
 * BackendTrafficPolicy `routingType: Endpoint` on the route overrides it (b); back to the default (`Endpoint`), b.
 * A value that is neither is refused, naming the field.
 */
import * as assert from "node:assert/strict";
import { applyPolicy, btpYaml } from "../support/btp";
import { eventually, freePort } from "../support/http";
import { spread, startNamedEndpoint, type NamedEndpoint } from "../support/lb-endpoints";
import { gatewayWithListenersYaml, serviceRouteYaml, serviceYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";
import type { Condition } from "../../operator/src/resources/meta";

const SVC = "svc.example.com";

/** Gateway `default/eg` on `port` with its own EnvoyProxy `default/eg` whose spec is `specYaml`. */
function gatewayWithProxy(port: number, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: eg, namespace: default }
spec: ${specYaml}
---
${gatewayWithListenersYaml(
  `    - { name: http, protocol: HTTP, port: ${port} }`,
  "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: eg } }\n",
)}`;
}

describe("standalone: EnvoyProxy routingType (real Envoy: cluster IP or endpoints)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let b: NamedEndpoint;
  let c: NamedEndpoint;
  let port: number;

  before(async () => {
    [b, c] = await Promise.all(["b", "c"].map((n) => startNamedEndpoint(n)));
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithProxy(port, "{ routingType: Service }"),
      "svc.yaml": `${serviceYaml("svc", c.port, [{ port: b.port }], "127.0.0.1")}---\n${serviceRouteYaml("svc", SVC, "svc", c.port)}`,
    });
  });

  after(async () => {
    await t?.close();
    for (const e of [b, c]) e?.server.close();
  });

  /** Waits until `n` requests are all answered by `name`. */
  async function answeredBy(name: string, what: string): Promise<void> {
    await eventually(
      async () => JSON.stringify(await spread(port, SVC, 5).catch(() => ({}))) === JSON.stringify({ [name]: 5 }),
      20_000,
      what,
    );
  }

  it("Service: the Service is reached at its cluster IP and Service port", async () => {
    await answeredBy("c", "requests to the cluster IP (c)");
  });

  it("a BackendTrafficPolicy routingType Endpoint overrides it for its route", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("svc", "svc", "  routingType: Endpoint"));
    assert.deepEqual(await spread(port, SVC, 5), { b: 5 });
    await t.remove("btp.yaml");
    await answeredBy("c", "the cluster IP again without the policy");
  });

  it("Endpoint (the default): the Service's endpoints", async () => {
    await t.write("gateway.yaml", gatewayWithProxy(port, "{ routingType: Endpoint }"));
    await answeredBy("b", "requests to the endpoint (b)");
  });

  it("a value that is neither: refused, naming the field", async () => {
    await t.write("gateway.yaml", gatewayWithProxy(port, "{ routingType: Pod }"));
    const accepted = (): Condition | undefined =>
      (
        t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions?: Condition[] } | undefined
      )?.conditions?.find((x) => x.type === "Accepted");
    await eventually(async () => accepted()?.status === "False", 20_000, "the refusal");
    assert.match(accepted()?.message ?? "", /spec\.routingType \("Pod"\) must be one of Service, Endpoint/);
  });
});

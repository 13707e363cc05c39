/**
 * The chainsaw suites of e2e/chainsaw (the ones users run against their own cluster, see e2e/README.md),
 * run by the real chainsaw binary against our harness: one cluster, our controller, the simulated kubelet,
 * and a values file for this cluster (the chart's defaults: listener ports 80 and 443). A failing suite fails
 * this test with chainsaw's report.
 *
 * The simulated kubelet runs every proxy the suites' Gateways get, each Envoy pod in its own network
 * namespace, as a cluster would; the suites run side by side (chainsaw's default parallelism).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { OWNING_GATEWAY_NAME, OWNING_GATEWAY_NAMESPACE } from "../../constructs/names";
import type { Controller } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import {
  CHAINSAW_SUITES,
  prepareCluster,
  runChainsaw,
  SimulatedKubelet,
  startKubeCluster,
  startTestController,
  testKubelet,
  type KubeCluster,
} from "../harness";

const NS = "envoy-gateway-system";
const GATEWAY_CLASS = "egts-chainsaw";
/** The suites we ship, one folder each (a new folder must be added here, so none is forgotten). */
const EXPECTED_SUITES = [
  "daemonset-hpa-pdb",
  "envoyproxy-boundary",
  "envoyproxy-infra",
  "grpcroute",
  "listener-conflicts",
  "listenerset",
  "quickstart",
  "reference-grant",
  "route-status",
  "tls",
];

describe("chainsaw suites of e2e/chainsaw against the harness (Kubernetes tier)", function () {
  this.timeout(360_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    controller = await startTestController(cluster, NS);
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ${GATEWAY_CLASS} }
spec:
  controllerName: ${DEFAULT_CONTROLLER_NAME}
`,
    });
  });

  after(async () => {
    await kubelet?.stop();
    await controller?.stop();
    await cluster?.stop();
  });

  it("passes every suite, with the harness's GatewayClass and namespace as values, running every proxy", async () => {
    const values = { gatewayClassName: GATEWAY_CLASS, controllerNamespace: NS, httpPort: 80, httpsPort: 443 };
    // The Gateways whose Envoy pods the kubelet started (`namespace/name`, from the pods' labels).
    const ran = new Set<string>();
    kubelet.beforeContainerStart = (pod) => {
      const gateway = pod.labels[OWNING_GATEWAY_NAME];
      if (gateway) ran.add(`${pod.labels[OWNING_GATEWAY_NAMESPACE] ?? "?"}/${gateway}`);
      return Promise.resolve();
    };
    assert.deepEqual(
      readdirSync(CHAINSAW_SUITES, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort(),
      EXPECTED_SUITES,
    );
    const out = await runChainsaw(cluster, values);
    assert.match(out, new RegExp(`Passed\\s+tests\\s+${EXPECTED_SUITES.length}\\b`), out);
    assert.match(out, /Failed\s+tests\s+0\b/, out);
    process.stderr.write(`      Envoy pods started for ${ran.size} Gateways: ${[...ran].sort().join(", ")}\n`);
    assert.ok(ran.size > 1, `the proxies of several suites' Gateways ran, not only one: ${[...ran].join(", ")}`);
  });
});

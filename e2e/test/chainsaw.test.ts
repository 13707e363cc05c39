/**
 * The chainsaw suites of e2e/chainsaw (the ones users run against their own cluster, see e2e/README.md),
 * run by the real chainsaw binary against our harness: one cluster, our controller, the simulated kubelet,
 * and a values file for this cluster. A failing suite fails this test with chainsaw's report.
 *
 * The simulated kubelet runs pods on the host network, where every Envoy pod binds the same admin and
 * readiness ports, so it runs the proxy of one Gateway only: the quickstart's (`eg`), whose suite asserts an
 * available proxy and a programmed Gateway. The proxies of the other suites' Gateways stay Pending; those
 * suites assert what the controller writes (status, proxy objects), not what runs.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import type { Controller } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { requireEnvoy } from "../../test/support/envoy";
import { freePort } from "../../test/support/http";
import {
  CHAINSAW_SUITES,
  prepareCluster,
  runChainsaw,
  SimulatedKubelet,
  startKubeCluster,
  startTestController,
  type KubeCluster,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";
const GATEWAY_CLASS = "egts-chainsaw";
/** The one Gateway whose proxy the simulated kubelet runs (the quickstart's). */
const RUNNING_GATEWAY = "eg";
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
    kubelet = new SimulatedKubelet(cluster, {
      envoyBin: requireEnvoy(),
      repoRoot: REPO,
      namespaces: [NS],
      echo: Boolean(process.env.EGTS_TEST_LOG),
      runs: (pod) => pod.metadata.labels?.[OWNING_GATEWAY_NAME] === RUNNING_GATEWAY,
    });
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

  it("passes every suite, with the harness's GatewayClass, namespace and ports as values", async () => {
    const values = {
      gatewayClassName: GATEWAY_CLASS,
      controllerNamespace: NS,
      httpPort: await freePort(),
      httpsPort: await freePort(),
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
  });
});

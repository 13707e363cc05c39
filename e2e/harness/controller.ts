/**
 * The controller of the Kubernetes-tier tests: our CRDs and the controller's namespace in a test cluster, and
 * an in-process `Controller` with the settings every test shares (xDS on a free port of the node address, the
 * pod bridge's, where the Envoy pods reach it; metrics on any port, short Lease timings, the pinned Envoy
 * image), which a test may extend or override; and the simulated
 * kubelet that runs the pods, with the settings every test shares.
 */
import { resolve } from "node:path";
import { CONTROLLER_DEFAULTS } from "../../operator/src/config/controller-defaults";
import { createLogger } from "../../operator/src/log";
import { Controller, type ControllerOptions } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { freePort } from "../../test/support/http";
import { requireEnvoy } from "../../test/support/envoy";
import type { KubeCluster } from "./cluster";
import { SimulatedKubelet } from "./kubelet";

/** The repository root (the compiled harness runs from dist/e2e/harness). */
const REPO = resolve(__dirname, "../../..");

/**
 * Installs our CRDs and waits until the API server serves them: objects of a kind applied earlier fail with "no
 * matches for kind", and a controller started earlier finds an optional kind absent (404) and lists it again
 * only 30 s later, without a watch meanwhile.
 */
export async function installCrds(cluster: KubeCluster): Promise<void> {
  await cluster.kubectl(["apply", "--server-side", "-f", resolve(REPO, "crds")]);
  const established = ["wait", "--for=condition=Established", "--timeout=60s", "-f", resolve(REPO, "crds")];
  await cluster.kubectl(established, { timeoutMs: 65_000 });
}

/** Installs our CRDs and creates the `namespaces` (the controller's first). */
export async function prepareCluster(cluster: KubeCluster, namespaces: readonly string[]): Promise<void> {
  await installCrds(cluster);
  for (const ns of namespaces) await cluster.kubectl(["create", "namespace", ns]);
}

/** The shared controller settings for `cluster`, with `extra` on top. */
export async function testControllerOptions(
  cluster: KubeCluster,
  namespace: string,
  extra: Partial<ControllerOptions> = {},
): Promise<ControllerOptions> {
  const xdsPort = await freePort();
  return {
    kubeconfig: cluster.kubeconfig,
    namespace,
    controllerName: DEFAULT_CONTROLLER_NAME,
    identity: "controller-a",
    xdsListen: `${cluster.nodeAddress}:${xdsPort}`,
    metricsPort: 0,
    render: {
      image: CONTROLLER_DEFAULTS.envoyImage,
      xds: { host: cluster.nodeAddress, port: xdsPort },
    },
    lease: { durationMs: 4000, retryMs: 500, renewDeadlineMs: 3000 },
    logger: createLogger(process.env.EGTS_TEST_LOG ? "debug" : "error"),
    ...extra,
  };
}

/** Starts a controller with {@link testControllerOptions}. */
export async function startTestController(
  cluster: KubeCluster,
  namespace: string,
  extra: Partial<ControllerOptions> = {},
): Promise<Controller> {
  const controller = new Controller(await testControllerOptions(cluster, namespace, extra));
  await controller.start();
  return controller;
}

/**
 * A simulated kubelet for the pods of `namespaces` (or "all"; not started), with the host's Envoy (or `envoyBin`) and
 * this repository; each pod runs in its own network namespace of the cluster's pod network.
 */
export function testKubelet(
  cluster: KubeCluster,
  namespaces: readonly string[] | "all",
  envoyBin: string = requireEnvoy(),
): SimulatedKubelet {
  return new SimulatedKubelet(cluster, {
    envoyBin,
    repoRoot: REPO,
    namespaces: namespaces === "all" ? "all" : [...namespaces],
    echo: Boolean(process.env.EGTS_TEST_LOG),
  });
}

/**
 * The stack the command-line tests of the Kubernetes tier start (egts's egctl commands, real
 * `kubectl port-forward`): a cluster where the Helm chart runs the controller as a pod (Deployment
 * `envoy-gateway` in envoy-gateway-system), the quickstart's Gateway `eg` whose Envoy pod the controller
 * creates, an echo backend on the node address, and the simulated kubelet running both pods.
 */
import { join, resolve } from "node:path";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually } from "../../test/support/http";
import { run, startKubeCluster, type KubeCluster } from "./cluster";
import { testKubelet } from "./controller";
import type { SimulatedKubelet } from "./kubelet";
import { quickstartYaml } from "./manifests";

const REPO = resolve(__dirname, "../../..");

/** The chart's namespace. */
export const CHART_NS = "envoy-gateway-system";

/** The fields of a Pod the tests read. */
export interface ChartPod {
  metadata: { name: string; namespace: string };
  spec: { containers: { image: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** A running stack; {@link ChartStack.stop} stops it all. */
export interface ChartStack {
  readonly cluster: KubeCluster;
  readonly kubelet: SimulatedKubelet;
  readonly echo: EchoBackend;
  /** Gateway `eg`'s Envoy pod, Ready. */
  readonly proxy: ChartPod;
  /** The controller's pod. */
  readonly controller: ChartPod;
  /** The pods of {@link CHART_NS} matching a label selector. */
  pods(selector: string): Promise<ChartPod[]>;
  /** Stops the kubelet (and its pods), the echo backend and the cluster. */
  stop(): Promise<void>;
}

const ready = (p: ChartPod | undefined): boolean =>
  p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** Starts the stack with Gateway `eg` listening on `listenerPort`; on a failure, stops what started and rethrows. */
export async function startChartStack(listenerPort: number): Promise<ChartStack> {
  const cluster = await startKubeCluster();
  let echo: EchoBackend | undefined;
  let kubelet: SimulatedKubelet | undefined;
  const stop = async (): Promise<void> => {
    await kubelet?.stop();
    await echo?.close();
    await cluster.stop();
  };
  const pods = async (selector: string): Promise<ChartPod[]> =>
    (await cluster.kubectlJson<{ items: ChartPod[] }>(["get", "pods", "-n", CHART_NS, "-l", selector])).items;
  try {
    echo = await startEchoBackend({ name: "cli-echo", host: cluster.nodeAddress });
    kubelet = testKubelet(cluster, [CHART_NS]);
    kubelet.start();
    const install = ["install", "egts", join(REPO, "helm", "egts"), "-n", CHART_NS, "--create-namespace"];
    await run(cluster.tools.helm, [...install, "--wait", "--timeout", "4m"], {
      env: cluster.toolEnv(),
      timeoutMs: 280_000,
    });
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: quickstartYaml(listenerPort, cluster.nodeAddress, echo.port),
    });
    const proxySelector = `${OWNING_GATEWAY_NAME}=eg`;
    await eventually(async () => ready((await pods(proxySelector))[0]), 120_000, "the Envoy pod Ready", 500);
    const [proxy] = await pods(proxySelector);
    const [controller] = await pods("control-plane=envoy-gateway");
    if (!proxy || !controller) throw new Error("the chart's controller pod or Gateway eg's Envoy pod is missing");
    return { cluster, kubelet, echo, proxy, controller, pods, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

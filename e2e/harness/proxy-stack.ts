/**
 * The stack most traffic tests of the Kubernetes tier start: a cluster with our CRDs and the controller's
 * namespace, an echo backend on the node address (which pods reach), the in-process controller, the simulated
 * kubelet for the controller's namespace, the test's manifests applied, and the Gateway's LoadBalancer address
 * once a request through its proxy pod answers 200.
 */
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Controller, ControllerOptions } from "../../operator/src/pipeline/controller";
import { eventually, httpGet } from "../../test/support/http";
import { startKubeCluster, type KubeCluster } from "./cluster";
import { prepareCluster, startTestController, testKubelet } from "./controller";
import type { SimulatedKubelet } from "./kubelet";
import { gatewayAddress } from "./observe";

/** What {@link startProxyStack} starts with. */
export interface ProxyStackOptions {
  /** The controller's namespace (where the proxies run). */
  readonly namespace: string;
  /** The echo backend's `backend` name. */
  readonly echoName: string;
  /** The manifests to apply; may start more peers on `cluster.nodeAddress` first. */
  readonly manifests: (cluster: KubeCluster, echo: EchoBackend) => string | Promise<string>;
  /** Gateway `default/<gateway>` whose address is awaited. @default "eg" */
  readonly gateway?: string;
  /** The listener port and Host of the request that must answer 200. */
  readonly probe: { readonly port: number; readonly host: string };
  /** How long the first 200 may take. @default 90000 */
  readonly timeoutMs?: number;
  /** Controller settings over the shared test ones. @default none */
  readonly controller?: Partial<ControllerOptions>;
  /** The Envoy binary the proxy pods run. @default the pinned one */
  readonly envoyBin?: string;
}

/** A running stack; {@link ProxyStack.stop} stops it all. */
export interface ProxyStack {
  readonly cluster: KubeCluster;
  readonly controller: Controller;
  readonly kubelet: SimulatedKubelet;
  readonly echo: EchoBackend;
  /** The Gateway's LoadBalancer address. */
  readonly address: string;
  /** Stops the kubelet (and its pods), the controller, the echo backend and the cluster. */
  stop(): Promise<void>;
}

/** Starts the stack; on a failure, stops what started and rethrows. */
export async function startProxyStack(o: ProxyStackOptions): Promise<ProxyStack> {
  const cluster = await startKubeCluster();
  let echo: EchoBackend | undefined;
  let controller: Controller | undefined;
  let kubelet: SimulatedKubelet | undefined;
  const stop = async (): Promise<void> => {
    await kubelet?.stop();
    await controller?.stop();
    await echo?.close();
    await cluster.stop();
  };
  try {
    await prepareCluster(cluster, [o.namespace]);
    echo = await startEchoBackend({ name: o.echoName, host: cluster.nodeAddress });
    controller = await startTestController(cluster, o.namespace, o.controller);
    kubelet = testKubelet(cluster, [o.namespace], o.envoyBin);
    kubelet.start();
    const input = await o.manifests(cluster, echo);
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input });
    const address = await gatewayAddress(cluster, o.gateway ?? "eg", { loadBalancer: true });
    const { port, host } = o.probe;
    const ok = async (): Promise<boolean> => (await httpGet(port, host, "/", { address })).status === 200;
    await eventually(ok, o.timeoutMs ?? 90_000, `traffic through the proxy at ${address}:${port}`);
    return { cluster, controller, kubelet, echo, address, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

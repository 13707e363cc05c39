/**
 * The stack the Kubernetes bench measures, built from the e2e harness: a real kube-apiserver + etcd +
 * kube-controller-manager on loopback, our CRDs, the controller as its own process (the real `egts controller`,
 * controller-process.ts: its CPU and memory are the controller's alone), the simulated kubelet running the Gateway's real Envoy pod, and an echo backend
 * on the node address behind Service `default/echo`. The bench's Gateway (`default/bench`, class `bench`, one
 * HTTP listener on 8080) and its routes come from bench/lib/fixtures.ts.
 */
import { Agent } from "node:http";
import { HttpMethod } from "@kubernetes/client-node";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { KubeApiError, KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import {
  collectionPath,
  objectPath,
  WATCHED_KINDS,
  type WatchedKind,
} from "../../operator/src/provider/kubernetes/kinds";
import type { KubeObject } from "../../operator/src/resources/meta";
import { httpGet } from "../../test/support/http";
import {
  gatewayAddress,
  hostServiceYaml,
  prepareCluster,
  requestCount,
  startKubeCluster,
  testKubelet,
  type KubeCluster,
  type SimulatedKubelet,
} from "../../e2e/harness";
import { ClientWorker, epochNow } from "./client-worker";
import { ControllerProcess } from "./controller-process";
import { patchRoute } from "./route-patch";
import { gatewayObjects, routeHost, routeName, routeObject, type FixtureOptions } from "../lib/fixtures";

/** The controller's namespace (where the proxy runs). */
export const CONTROLLER_NS = "envoy-gateway-system";
/** The Gateway's listener port. */
export const LISTENER_PORT = 8080;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function kindOf(kind: string): WatchedKind {
  const k = WATCHED_KINDS.find((w) => w.kind === kind);
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}

/** The object without what only the server sets (fixtures carry generation and creationTimestamp). */
function forCreate(o: KubeObject): KubeObject {
  const {
    generation: _g,
    creationTimestamp: _c,
    ...metadata
  } = o.metadata as KubeObject["metadata"] & {
    creationTimestamp?: string;
  };
  return { ...o, metadata };
}

/** Runs `fn` over `items` with at most `width` in flight. */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Status writes the API server received for Gateway API and Envoy Gateway objects, by verb and code. */
export interface StatusWriteCount {
  readonly total: number;
  /** Writes answered 409 Conflict (precondition failed), included in `total`. */
  readonly conflicts: number;
  /** Accepted writes of Gateways' status (resource `gateways`, 200), included in `total`. */
  readonly gateways: number;
}

/** A running bench stack; {@link startStack} makes one, {@link Stack.stop} removes it. */
export class Stack {
  /** Requests through Envoy: a keep-alive pool like a real client's. */
  readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  readonly fx: FixtureOptions;
  /** When the controller last finished a pass (performance.now()). */
  lastPassAt = 0;
  /** Passes so far. */
  passes = 0;
  /** Each pass's end (epoch ms) and its translate + publish time (ms), the last 1,000. */
  readonly passLog: { at: number; ms: number }[] = [];
  /** The HTTP clients that poll and load Envoy, in their own thread (see client-worker.ts). */
  readonly clients: ClientWorker;

  readonly cluster: KubeCluster;
  readonly controller: ControllerProcess;
  readonly kubelet: SimulatedKubelet;
  readonly echo: EchoBackend;
  readonly client: KubeClient;
  /** The Gateway's LoadBalancer address. */
  readonly address: string;

  constructor(parts: {
    cluster: KubeCluster;
    controller: ControllerProcess;
    kubelet: SimulatedKubelet;
    echo: EchoBackend;
    client: KubeClient;
    address: string;
  }) {
    ({
      cluster: this.cluster,
      controller: this.controller,
      kubelet: this.kubelet,
      echo: this.echo,
      client: this.client,
      address: this.address,
    } = parts);
    this.fx = { port: LISTENER_PORT, service: { name: "echo", port: 80 } };
    this.clients = new ClientWorker({
      address: this.address,
      port: LISTENER_PORT,
      kubeconfig: this.cluster.kubeconfig,
    });
    this.controller.onPass((p) => {
      this.passes++;
      this.lastPassAt = performance.now();
      this.passLog.push({ at: epochNow(), ms: p.ms });
      if (this.passLog.length > 1000) this.passLog.shift();
    });
  }

  /** POSTs `objects` (at most `width` at once); resolves when every create answered. */
  async create(objects: readonly KubeObject[], width = 16): Promise<void> {
    await pool(objects, width, async (o) => {
      const path = collectionPath(kindOf(o.kind), o.metadata.namespace);
      await this.client.request(HttpMethod.POST, path, {
        body: JSON.stringify(forCreate(o)),
        contentType: "application/json",
      });
    });
  }

  /** Creates routes `from` .. `to - 1` of the fixture. */
  createRoutes(from: number, to: number, width = 16): Promise<void> {
    return this.create(
      Array.from({ length: to - from }, (_, k) => routeObject(from + k, this.fx)),
      width,
    );
  }

  /** JSON-patches HTTPRoute `i`'s header filter value (a spec change: generation + 1). */
  changeRoute(i: number, value: string): Promise<void> {
    return patchRoute(this.client, i, value);
  }

  /** Deletes HTTPRoute `i`. */
  deleteRoute(i: number): Promise<void> {
    return this.client.delete(objectPath(kindOf("HTTPRoute"), routeName(i), "default"));
  }

  /** The Gateway's listener `attachedRoutes` (-1 before the status has one). */
  async attachedRoutes(): Promise<number> {
    const gw = await this.client.request<{ status?: { listeners?: { attachedRoutes?: number }[] } }>(
      HttpMethod.GET,
      objectPath(kindOf("Gateway"), "bench", "default"),
    );
    return gw.status?.listeners?.[0]?.attachedRoutes ?? -1;
  }

  /** Polls (every `everyMs`) until the listener has `n` attached routes; resolves performance.now() then. */
  async waitAttached(n: number, timeoutMs: number, everyMs = 10): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if ((await this.attachedRoutes()) === n) return performance.now();
      if (performance.now() > deadline) throw new Error(`attachedRoutes did not reach ${n} within ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  }

  /** Status of one GET through Envoy for route `i`'s hostname (0 on a socket error). */
  async envoyGet(i: number): Promise<number> {
    const r = await httpGet(LISTENER_PORT, routeHost(i), "/", { address: this.address, agent: this.agent });
    return r.status;
  }

  /** Polls Envoy until route `i` answers 200; resolves when it did. */
  async waitServed(i: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((await this.envoyGet(i)) !== 200) {
      if (performance.now() > deadline) throw new Error(`route ${i} not served by Envoy within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Waits until no controller pass ended for `quietMs` (the pipeline settled). */
  async waitQuiet(quietMs: number, timeoutMs = 300_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() - this.lastPassAt < quietMs) {
      if (performance.now() > deadline) throw new Error(`the controller did not settle within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * Status writes (PATCH or PUT on the status subresource) of Gateway API and Envoy Gateway objects, from
   * the API server's own apiserver_request_total: every client's, every answer's (409s included).
   */
  async statusWrites(): Promise<StatusWriteCount> {
    let total = 0;
    let conflicts = 0;
    let gateways = 0;
    for (const group of ["gateway.networking.k8s.io", "gateway.envoyproxy.io"])
      for (const verb of ["PATCH", "PUT"]) {
        const labels = [`group="${group}"`, 'subresource="status"', `verb="${verb}"`];
        total += await requestCount(this.cluster, labels);
        conflicts += await requestCount(this.cluster, [...labels, 'code="409"']);
        gateways += await requestCount(this.cluster, [...labels, 'resource="gateways"', 'code="200"']);
      }
    return { total, conflicts, gateways };
  }

  /** Stops everything (kubelet and its pods, controller, echo, cluster). */
  async stop(): Promise<void> {
    this.agent.destroy();
    await this.clients.close();
    await this.kubelet.stop();
    await this.controller.stop();
    await this.echo.close();
    await this.cluster.stop();
  }
}

/** Creates the objects, ignoring those that exist (the Gateway on a rerun). */
async function createAll(client: KubeClient, objects: readonly KubeObject[]): Promise<void> {
  for (const o of objects) {
    try {
      await client.createIfAbsent(collectionPath(kindOf(o.kind), o.metadata.namespace), forCreate(o));
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      throw new Error(`create ${o.kind} ${o.metadata.name}: ${err.message}`, { cause: err });
    }
  }
}

/**
 * Starts the cluster, the controller and the kubelet, creates the Gateway and the echo Service, and resolves
 * once Envoy answers on the Gateway's LoadBalancer address (404: no route yet).
 */
export async function startStack(
  log: (line: string) => void,
  opts: { readonly controllerExecArgv?: readonly string[] } = {},
): Promise<Stack> {
  log("starting kube-apiserver + etcd + kube-controller-manager…");
  const cluster = await startKubeCluster();
  let controller: ControllerProcess | undefined;
  try {
    await prepareCluster(cluster, [CONTROLLER_NS]);
    const echo = await startEchoBackend({ name: "bench", host: cluster.nodeAddress });
    controller = await ControllerProcess.start({
      kubeconfig: cluster.kubeconfig,
      namespace: CONTROLLER_NS,
      host: cluster.nodeAddress,
      execArgv: opts.controllerExecArgv ?? [],
      log: (line) => process.stderr.write(`controller: ${line}\n`),
    });
    const kubelet = testKubelet(cluster, [CONTROLLER_NS]);
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: hostServiceYaml("echo", 80, cluster.nodeAddress, echo.port),
    });
    await createAll(client, gatewayObjects({ port: LISTENER_PORT }));
    kubelet.start();
    log("waiting for the Gateway's LoadBalancer address and its Envoy…");
    const address = await gatewayAddress(cluster, "bench", { loadBalancer: true, timeoutMs: 180_000 });
    const stack = new Stack({ cluster, controller, kubelet, echo, client, address });
    const deadline = performance.now() + 120_000;
    while ((await stack.envoyGet(0)) !== 404) {
      if (performance.now() > deadline) throw new Error(`Envoy at ${address}:${LISTENER_PORT} never answered 404`);
      await sleep(200);
    }
    return stack;
  } catch (err) {
    await controller?.stop();
    await cluster.stop();
    throw err;
  }
}

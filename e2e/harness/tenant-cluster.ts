/**
 * The setup the controller-in-a-cluster tests share: a real API server with our controller running in
 * envoy-gateway-system, GatewayClass `eg`, and a tenant namespace for the Gateways under test.
 */
import { Controller } from "../../operator/src/pipeline/controller";
import { eventually } from "../../test/support/http";
import { startKubeCluster, type KubeCluster } from "./cluster";
import { prepareCluster, startTestController } from "./controller";
import { gatewayClassYaml } from "./manifests";

/** The controller's namespace. */
export const CONTROLLER_NS = "envoy-gateway-system";

/** A condition as kubectl returns it. */
export interface KubeCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** A running cluster and controller, with helpers bound to them. */
export interface TenantCluster {
  /** The cluster. */
  readonly cluster: KubeCluster;
  /** The controller, watching CONTROLLER_NS for its proxies. */
  readonly controller: Controller;
  /** The tenant namespace. */
  readonly tenant: string;
  /** `kubectl get <args>` as JSON. */
  get<T>(args: string[]): Promise<T>;
  /** Server-side apply of `yaml` with field manager `test`. */
  apply(yaml: string): Promise<string>;
  /** The condition `type` of Gateway `<tenant>/<name>`. */
  gatewayCondition(name: string, type: string): Promise<KubeCondition | undefined>;
  /** Waits (30 s) until that condition satisfies `ok`, and returns it. */
  waitForCondition(name: string, type: string, ok: (c: KubeCondition) => boolean): Promise<KubeCondition>;
  /** Stops the controller, then the cluster. */
  stop(): Promise<void>;
}

/** Starts the cluster and the controller, and applies GatewayClass eg. */
export async function startTenantCluster(tenant = "team-a"): Promise<TenantCluster> {
  const cluster = await startKubeCluster();
  await prepareCluster(cluster, [CONTROLLER_NS, tenant]);
  const controller = await startTestController(cluster, CONTROLLER_NS);
  const get = <T>(args: string[]): Promise<T> => cluster.kubectlJson<T>(["get", ...args]);
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });
  await apply(gatewayClassYaml());
  const gatewayCondition = async (name: string, type: string): Promise<KubeCondition | undefined> =>
    (
      await get<{ status?: { conditions?: KubeCondition[] } }>(["gateway", name, "-n", tenant])
    ).status?.conditions?.find((c) => c.type === type);
  return {
    cluster,
    controller,
    tenant,
    get,
    apply,
    gatewayCondition,
    waitForCondition: async (name, type, ok) => {
      let last: KubeCondition | undefined;
      const what = `Gateway ${tenant}/${name} condition ${type}`;
      await eventually(async () => (last = await gatewayCondition(name, type)) !== undefined && ok(last), 30_000, what);
      return last as KubeCondition;
    },
    stop: async () => {
      await controller.stop();
      await cluster.stop();
    },
  };
}

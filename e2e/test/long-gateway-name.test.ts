/**
 * Gateway names the API server's label rules cannot carry, and apply failures in status, against a real API
 * server: a Gateway with a 253-character name (conformance GatewayNameMaximumLength) gets its proxy objects
 * applied, labelled with a valid value and its full name in an annotation; a Gateway whose Deployment the API
 * server refuses (a ResourceQuota allowing no Deployment) is Programmed False with the server's message
 * instead of staying Programmed True with no proxy.
 */
import assert from "node:assert/strict";
import { labelValue, OWNING_GATEWAY_NAME, proxyObjectName } from "../../constructs/names";
import { eventually } from "../../test/support/http";
import {
  CONTROLLER_NS as NS,
  gatewayYaml as harnessGatewayYaml,
  startTenantCluster,
  type TenantCluster,
} from "../harness";

const TENANT = "team-a";
/** 253 characters, the longest a Gateway name may be. */
const LONG_NAME = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { hard?: Record<string, string> };
}

function gatewayYaml(name: string, listenerPort: number): string {
  return harnessGatewayYaml(name, `[{ name: http, protocol: HTTP, port: ${listenerPort} }]`, { namespace: TENANT });
}

describe("Long Gateway names and apply failures in status (Kubernetes tier)", function () {
  this.timeout(180_000);
  let k: TenantCluster;
  const get = <T = Obj>(args: string[]): Promise<T> => k.get<T>(args);
  const apply = (yaml: string): Promise<string> => k.apply(yaml);
  const condition = (name: string, type: string): ReturnType<TenantCluster["gatewayCondition"]> =>
    k.gatewayCondition(name, type);

  before(async () => {
    k = await startTenantCluster(TENANT);
  });

  after(async () => {
    await k?.stop();
  });

  it("applies the Deployment of a Gateway with a 253-character name, labelled with a valid value", async () => {
    assert.equal(LONG_NAME.length, 253);
    await apply(gatewayYaml(LONG_NAME, 8080));
    const name = proxyObjectName(TENANT, LONG_NAME);
    let deployment: Obj | undefined;
    await eventually(
      async () => {
        deployment = await get(["deployment", name, "-n", NS]).catch(() => undefined);
        return deployment !== undefined;
      },
      30_000,
      `Deployment ${NS}/${name}`,
    );
    assert.equal(deployment?.metadata.labels?.[OWNING_GATEWAY_NAME], labelValue(LONG_NAME));
    assert.equal(deployment?.metadata.annotations?.[OWNING_GATEWAY_NAME], LONG_NAME);
    // The four objects are applied one after the other: the Deployment may be there before the rest.
    const selected = async (): Promise<Obj[]> =>
      (
        await get<{ items: Obj[] }>([
          "deployment,service,serviceaccount,configmap",
          "-n",
          NS,
          "-l",
          `${OWNING_GATEWAY_NAME}=${labelValue(LONG_NAME)}`,
        ])
      ).items;
    await eventually(async () => (await selected()).length === 4, 30_000, "four objects selected by the label");
    const kinds = (await selected()).map((o) => (o as Obj & { kind?: string }).kind).sort();
    assert.deepEqual(kinds, ["ConfigMap", "Deployment", "Service", "ServiceAccount"]);
    // The proxy objects are applied before the status is written: Accepted may still be the CRD's Unknown.
    await eventually(
      async () => (await condition(LONG_NAME, "Accepted"))?.status === "True",
      30_000,
      "the long-named Gateway Accepted",
    );
  });

  it("makes a Gateway whose Deployment the API server refuses Programmed False with the server's message", async () => {
    await apply(`apiVersion: v1
kind: ResourceQuota
metadata: { name: no-deployments, namespace: ${NS} }
spec: { hard: { count/deployments.apps: "0" } }
`);
    // Quota admission enforces once the quota controller has filled in the quota's status.
    await eventually(
      async () => (await get(["resourcequota", "no-deployments", "-n", NS])).status?.hard !== undefined,
      30_000,
      "ResourceQuota status",
    );
    try {
      await apply(gatewayYaml("refused", 8081));
      const programmed = await k.waitForCondition("refused", "Programmed", (c) => c.status === "False");
      assert.equal(programmed?.reason, "Invalid");
      assert.match(
        programmed?.message ?? "",
        new RegExp(`the Deployment ${NS}/${proxyObjectName(TENANT, "refused")} could not be applied: .*exceeded quota`),
      );
    } finally {
      await k.cluster.kubectl(["delete", "resourcequota", "no-deployments", "-n", NS]);
    }
    await apply(gatewayYaml("next", 8082)); // the applier retries on the next pass
    await eventually(
      async () => (await condition("refused", "Programmed"))?.message.includes("exceeded quota") !== true,
      60_000,
      "Gateway refused no longer refused once the quota is gone",
    );
  });
});

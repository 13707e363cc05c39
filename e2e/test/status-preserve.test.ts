/**
 * Status written by other controllers survives ours, against a real API server (Kubernetes tier): a
 * condition of a type we are not responsible for, seeded on a GatewayClass, a Gateway and its listener, a
 * ListenerSet and its listener, and another controller's parent entry on an HTTPRoute, is still there,
 * unchanged, after each object's generation is bumped and our own conditions have caught up with it (what
 * the conformance tests GatewayPreserveForeignConditions and HTTPRoutePreserveForeignStatus check). No
 * Envoy is needed: nothing here carries traffic.
 */
import assert from "node:assert/strict";
import type { Controller } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { eventually } from "../../test/support/http";
import {
  gatewayClassYaml,
  gatewayYaml,
  prepareCluster,
  RunError,
  startKubeCluster,
  startTestController,
  statusPatches,
  type KubeCluster,
} from "../harness";

const NS = "envoy-gateway-system";
const FOREIGN_TYPE = "conformance.gateway.networking.k8s.io/StaleCondition";
const FOREIGN_CONTROLLER = "example.com/unmanaged-controller";

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}
interface Status {
  conditions?: Condition[];
  listeners?: { name: string; conditions: Condition[] }[];
  parents?: {
    parentRef: { group?: string; kind?: string; name: string };
    controllerName: string;
    conditions: Condition[];
  }[];
}
interface Obj {
  metadata: { name: string; generation: number; resourceVersion: string };
  status?: Status;
}

const MANIFESTS = `${gatewayClassYaml()}---
${gatewayYaml("keep", "[{ name: http, protocol: HTTP, port: 18080, hostname: first.example.com }]", {
  spec: "  allowedListeners: { namespaces: { from: Same } }\n",
})}---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: extra, namespace: default }
spec:
  parentRef: { name: keep }
  listeners: [{ name: more, protocol: HTTP, port: 18081, hostname: more.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: keep }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /first } }] }]
`;

/** The seeded condition, as another controller would write it. */
function foreign(generation: number): Condition {
  return {
    type: FOREIGN_TYPE,
    status: "True",
    reason: "Seeded",
    message: "written by another controller",
    observedGeneration: generation,
    lastTransitionTime: "2026-01-01T00:00:00Z",
  };
}

describe("status of other controllers is preserved (Kubernetes tier)", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  let controller: Controller;
  const get = (kind: string, name: string): Promise<Obj> =>
    cluster.kubectlJson<Obj>(["get", kind, name, ...(kind === "gatewayclass" ? [] : ["-n", "default"])]);

  /** Read-modify-write of `kind/name`'s status (with the resourceVersion as precondition, retried on conflict). */
  async function patchStatus(kind: string, name: string, edit: (o: Obj) => void): Promise<void> {
    await eventually(
      async () => {
        const o = await get(kind, name);
        edit(o);
        const body = JSON.stringify({ metadata: { resourceVersion: o.metadata.resourceVersion }, status: o.status });
        const ns = kind === "gatewayclass" ? [] : ["-n", "default"];
        try {
          await cluster.kubectl(["patch", kind, name, ...ns, "--subresource=status", "--type=merge", "-p", body]);
          return true;
        } catch (e) {
          if (e instanceof RunError && /Conflict|modified/.test(e.message)) return false;
          throw e;
        }
      },
      20_000,
      `status of ${kind}/${name} written`,
    );
  }

  /** True when every condition of ours on the object (and its listeners / our parent entry) is at its generation. */
  function caughtUp(o: Obj): boolean {
    const gen = o.metadata.generation;
    const lists = [
      o.status?.conditions ?? [],
      ...(o.status?.listeners ?? []).map((l) => l.conditions),
      ...(o.status?.parents ?? []).filter((p) => p.controllerName === DEFAULT_CONTROLLER_NAME).map((p) => p.conditions),
    ];
    const ours = lists.flat().filter((c) => c.type !== FOREIGN_TYPE);
    return ours.length > 0 && ours.every((c) => c.observedGeneration === gen);
  }

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    controller = await startTestController(cluster, NS);
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: MANIFESTS });
  });

  after(async () => {
    await controller?.stop();
    await cluster?.stop();
  });

  it("keeps a foreign condition on the GatewayClass, the Gateway, the ListenerSet and their listeners", async () => {
    for (const [kind, name] of [
      ["gatewayclass", "eg"],
      ["gateway", "keep"],
      ["listenerset", "extra"],
    ]) {
      await eventually(
        async () =>
          caughtUp(await get(kind, name)) &&
          (kind === "gatewayclass" || !!(await get(kind, name)).status?.listeners?.length),
        30_000,
        `our status on ${kind}/${name}`,
      );
    }
    const seeded = new Map<string, Condition>();
    for (const [kind, name] of [
      ["gatewayclass", "eg"],
      ["gateway", "keep"],
      ["listenerset", "extra"],
    ]) {
      await patchStatus(kind, name, (o) => {
        const c = foreign(o.metadata.generation);
        seeded.set(kind, c);
        o.status = { ...o.status, conditions: [...(o.status?.conditions ?? []), c] };
        for (const l of o.status.listeners ?? []) l.conditions = [...l.conditions, c];
      });
    }
    // Bump every generation: the controller rewrites each status while the seeded conditions are there.
    await cluster.kubectl(["patch", "gatewayclass", "eg", "--type=merge", "-p", '{"spec":{"description":"bumped"}}']);
    await cluster.kubectl([
      ...["patch", "gateway", "keep", "-n", "default", "--type=json", "-p"],
      '[{"op":"replace","path":"/spec/listeners/0/hostname","value":"second.example.com"}]',
    ]);
    await cluster.kubectl([
      ...["patch", "listenerset", "extra", "-n", "default", "--type=json", "-p"],
      '[{"op":"replace","path":"/spec/listeners/0/hostname","value":"other.example.com"}]',
    ]);
    for (const [kind, name] of [
      ["gatewayclass", "eg"],
      ["gateway", "keep"],
      ["listenerset", "extra"],
    ]) {
      await eventually(
        async () => {
          const o = await get(kind, name);
          return o.metadata.generation > 1 && caughtUp(o);
        },
        30_000,
        `our conditions on ${kind}/${name} at the bumped generation`,
      );
      const o = await get(kind, name);
      const want = seeded.get(kind);
      assert.deepEqual(
        o.status?.conditions?.find((c) => c.type === FOREIGN_TYPE),
        want,
        `${kind}/${name}: the foreign condition is kept unchanged`,
      );
      for (const l of o.status?.listeners ?? []) {
        assert.deepEqual(
          l.conditions.find((c) => c.type === FOREIGN_TYPE),
          want,
          `${kind}/${name} listener ${l.name}: the foreign condition is kept unchanged`,
        );
      }
    }
  });

  it("keeps another controller's parent entry on an HTTPRoute", async () => {
    await eventually(async () => caughtUp(await get("httproute", "web")), 30_000, "route status");
    let theirs: NonNullable<Status["parents"]>[number] | undefined;
    await patchStatus("httproute", "web", (o) => {
      theirs = {
        parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "unmanaged-gateway" },
        controllerName: FOREIGN_CONTROLLER,
        conditions: [{ ...foreign(o.metadata.generation), type: "Accepted", reason: "Accepted" }],
      };
      o.status = { ...o.status, parents: [...(o.status?.parents ?? []), theirs] };
    });
    await cluster.kubectl([
      ...["patch", "httproute", "web", "-n", "default", "--type=json", "-p"],
      '[{"op":"replace","path":"/spec/rules/0/matches/0/path/value","value":"/second"}]',
    ]);
    await eventually(
      async () => {
        const o = await get("httproute", "web");
        return o.metadata.generation > 1 && caughtUp(o);
      },
      30_000,
      "our parent entry at the bumped generation",
    );
    const parents = (await get("httproute", "web")).status?.parents ?? [];
    assert.deepEqual(
      parents.map((p) => p.controllerName),
      [DEFAULT_CONTROLLER_NAME, FOREIGN_CONTROLLER],
      "both entries, in the order they were written",
    );
    assert.deepEqual(parents[1], theirs, "the other controller's entry is unchanged");
  });

  it("writes no status when nothing of ours changed (the preserved entries cause no rewrite)", async () => {
    await new Promise((r) => setTimeout(r, 2000));
    const before = await statusPatches(cluster);
    for (let i = 0; i < 3; i++)
      await cluster.kubectl(["label", "gateway", "keep", "-n", "default", `touch=${i}`, "--overwrite"]);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await statusPatches(cluster), before, "no status PATCH for snapshots that change no status");
  });
});

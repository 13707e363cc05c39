/**
 * High availability against a real API server (Kubernetes tier):
 * - leader failover between two in-process controllers: exactly one leads (the Lease says so), only it
 *   writes status and applies infra, both serve xDS; when the leader crashes (lease not released) the other
 *   takes over once the lease expired, without a single status write; a clean stop hands over at once;
 * - a kube-apiserver restart: Envoy (run by the simulated kubelet) keeps serving throughout the outage, and
 *   the controller's watches resume promptly afterwards (a new route is served), with one watch per kind.
 */
import assert from "node:assert/strict";
import { CONTROLLER_DEFAULTS } from "../../operator/src/config/controller-defaults";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { createLogger } from "../../operator/src/log";
import { Controller, type ControllerPass } from "../../operator/src/pipeline/controller";
import { WATCHED_KINDS } from "../../operator/src/provider/kubernetes/kinds";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../../test/support/http";
import {
  echoRouteYaml,
  gatewayAddress,
  installCrds,
  quickstartYaml,
  requestCount,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  statusPatches,
  type KubeCluster,
} from "../harness";

const NS = "envoy-gateway-system";
const LEASE = { durationMs: 3000, retryMs: 300, renewDeadlineMs: 2000 };
/** Time a Lease GET + PUT may take on top of the election's own timing, on a loaded test machine. */
const REQUEST_SLACK_MS = 500;
/** Gateway `eg`'s HTTP listener port (its proxy has an address of its own). */
const PORT = 80;

interface Condition {
  type: string;
  status: string;
  reason: string;
  lastTransitionTime: string;
}
interface Status {
  conditions?: Condition[];
  parents?: { conditions: Condition[] }[];
}
interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: Status;
}
interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

function cond(s: Status | undefined, type: string): Condition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** WATCH requests open now on the API server for `resource` (apiserver_longrunning_requests). */
async function openWatches(cluster: KubeCluster, resource: string): Promise<number> {
  const metrics = (await cluster.getRaw("/metrics")).body;
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (
      line.startsWith("apiserver_longrunning_requests{") &&
      line.includes('verb="WATCH"') &&
      line.includes(`resource="${resource}"`)
    ) {
      total += Number(line.split(" ").at(-1));
    }
  }
  return total;
}

/** The test's view of one in-process controller: the controller and every pass it made. */
interface Replica {
  readonly id: string;
  readonly controller: Controller;
  readonly passes: ControllerPass[];
}

async function startReplica(cluster: KubeCluster, id: string, renderXdsPort?: number): Promise<Replica> {
  const xdsPort = await freePort();
  const controller = new Controller({
    kubeconfig: cluster.kubeconfig,
    namespace: NS,
    controllerName: DEFAULT_CONTROLLER_NAME,
    identity: id,
    // On the node address, which the Envoy pods reach from their network namespaces.
    xdsListen: `${cluster.nodeAddress}:${xdsPort}`,
    metricsPort: 0,
    // Every replica renders the same proxy objects (in a cluster they share the xDS Service's address).
    render: {
      image: CONTROLLER_DEFAULTS.envoyImage,
      xds: { host: cluster.nodeAddress, port: renderXdsPort ?? xdsPort },
    },
    lease: LEASE,
    logger: createLogger(process.env.EGTS_TEST_LOG ? "debug" : "error"),
  });
  const passes: ControllerPass[] = [];
  controller.passes$.subscribe((p) => passes.push(p));
  await controller.start();
  return { id, controller, passes };
}

async function conditionsOf(cluster: KubeCluster, args: readonly string[]): Promise<Status | undefined> {
  return (await cluster.kubectlJson<Obj>(["get", ...args])).status;
}

describe("leader election failover (Kubernetes tier)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let echo: EchoBackend;
  const replicas: Replica[] = [];
  const lease = (): Promise<Lease> => cluster.kubectlJson<Lease>(["get", "lease", "egts-controller-leader", "-n", NS]);
  const leaders = (): Replica[] => replicas.filter((r) => r.controller.election.isLeader);
  const watched = (): Promise<[Status | undefined, Status | undefined]> =>
    Promise.all([
      conditionsOf(cluster, ["gateway", "eg", "-n", "default"]),
      conditionsOf(cluster, ["httproute", "web", "-n", "default"]),
    ]);

  before(async () => {
    cluster = await startKubeCluster();
    await installCrds(cluster);
    await cluster.kubectl(["create", "namespace", NS]);
    echo = await startEchoBackend({ name: "ha-echo", host: cluster.nodeAddress });
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: quickstartYaml(PORT, cluster.nodeAddress, echo.port),
    });
    const a = await startReplica(cluster, "controller-a");
    replicas.push(a, await startReplica(cluster, "controller-b", a.controller.xdsPort));
  });

  after(async () => {
    for (const r of replicas) await r.controller.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("elects exactly one leader; only it writes status and applies infra; both serve xDS", async () => {
    await eventually(async () => leaders().length === 1, 20_000, "a leader", 50);
    // Never two leaders: sample for a few lease renewals.
    for (let i = 0; i < 20; i++) {
      assert.equal(leaders().length, 1, "exactly one leader");
      await sleep(LEASE.retryMs / 2);
    }
    const [leader] = leaders();
    const follower = replicas.find((r) => r !== leader);
    assert.ok(leader && follower);
    assert.equal((await lease()).spec.holderIdentity, leader.id, "the Lease names the leader");

    await eventually(
      async () => {
        const [gw, route] = await watched();
        return cond(gw, "Accepted")?.status === "True" && cond(route?.parents?.[0], "Accepted")?.status === "True";
      },
      30_000,
      "Gateway and HTTPRoute Accepted",
    );
    await eventually(
      async () =>
        cond(await conditionsOf(cluster, ["gateway", "eg", "-n", "default"]), "Programmed")?.reason === "Pending",
      30_000,
      "Gateway Programmed Pending (no pod runs in this test)",
    );
    const proxy = proxyObjectName("default", "eg");
    await eventually(
      async () => Boolean(await cluster.kubectl(["get", "deployment", proxy, "-n", NS]).catch(() => "")),
      30_000,
      "the proxy Deployment",
    );

    assert.ok(leader.controller.statusWriter.stats.writes > 0, "the leader wrote status");
    assert.equal(follower.controller.statusWriter.stats.writes, 0, "the follower wrote no status");
    assert.ok(
      leader.passes.some((p) => p.leader && (p.applied?.applied ?? 0) > 0),
      "the leader applied the proxy objects",
    );
    assert.ok(follower.passes.length > 0, "the follower translated snapshots");
    assert.ok(
      follower.passes.every((p) => !p.leader && p.applied === undefined),
      "the follower never applied infra",
    );

    // Both serve xDS: the Gateway's node, with the same content, in both caches.
    await eventually(
      async () => {
        const ids = [leader, follower].map((r) => r.controller.cache.nodeIds().sort().join(","));
        return ids[0] !== "" && ids[0] === ids[1];
      },
      10_000,
      "the Gateway's node in both caches",
    );
    const nodes = leader.controller.cache.nodeIds();
    assert.equal(nodes.length, 1);
    const node = nodes[0] ?? "";
    assert.equal(
      follower.controller.cache.getNode(node)?.version,
      leader.controller.cache.getNode(node)?.version,
      "same resources (content-hash version) on both replicas",
    );
  });

  it("the leader renews with one write a retry period, without reading the Lease first (client-go's fast path)", async () => {
    assert.equal(leaders().length, 1, "one leader");
    // Every client's Lease requests as the API server counted them (apiserver_request_total).
    const leaseRequests = (verb: string): Promise<number> =>
      requestCount(cluster, ['resource="leases"', `verb="${verb}"`]);
    const [puts0, gets0] = [await leaseRequests("PUT"), await leaseRequests("GET")];
    await sleep(10 * LEASE.retryMs);
    const puts = (await leaseRequests("PUT")) - puts0;
    const gets = (await leaseRequests("GET")) - gets0;
    // ~10 renewals by the leader (PUT) and ~10 reads by the follower (GET). A leader that read the Lease before each
    // renewal would add its ~10 reads: GETs twice the PUTs.
    assert.ok(puts >= 5, `the leader renewed ${puts} times in ${10 * LEASE.retryMs} ms`);
    assert.ok(gets <= puts * 1.4, `${gets} Lease reads for ${puts} writes: the leader read before renewing`);
    assert.equal(leaders().length, 1, "still one leader");
  });

  it("replaces a crashed leader (lease not released) once the lease expires, without status flapping", async () => {
    const [leader] = leaders();
    const follower = replicas.find((r) => r !== leader);
    assert.ok(leader && follower);
    await sleep(2000); // let the last pass settle
    const statusBefore = await watched();
    const transitionsBefore = (await lease()).spec.leaseTransitions ?? 0;
    const patchesBefore = await statusPatches(cluster);
    const proxy = proxyObjectName("default", "eg");
    const configMapBefore = await cluster.kubectlJson<Obj>(["get", "configmap", proxy, "-n", NS]);
    const deploymentBefore = await cluster.kubectlJson<Obj>(["get", "deployment", proxy, "-n", NS]);
    const followerPassesBefore = follower.passes.length;

    await leader.controller.abandon(); // the crash: no more renewals, the lease is NOT released
    const crashedAt = Date.now();
    assert.equal((await lease()).spec.holderIdentity, leader.id, "the crashed leader still holds the lease");
    await eventually(
      async () => follower.controller.election.isLeader,
      LEASE.durationMs * 3,
      "the follower to take over",
      10,
    );
    const takeoverMs = Date.now() - crashedAt;
    // The follower takes over once the record has not changed for durationMs on its own clock: it saw the
    // last renewal (done before the crash) at most one retry period late, and checks once per retry period.
    const bound = LEASE.durationMs + 2 * LEASE.retryMs + REQUEST_SLACK_MS;
    console.log(`      failover after a crash: ${takeoverMs} ms (bound ${bound} ms)`);
    assert.ok(takeoverMs <= bound, `took over in ${takeoverMs} ms > ${bound} ms`);
    assert.ok(
      takeoverMs >= LEASE.durationMs - LEASE.retryMs - REQUEST_SLACK_MS,
      `took over in ${takeoverMs} ms: before the lease (${LEASE.durationMs} ms) could have expired`,
    );
    const after = await lease();
    assert.equal(after.spec.holderIdentity, follower.id);
    assert.equal(after.spec.leaseTransitions, transitionsBefore + 1, "leaseTransitions incremented");

    // The new leader re-applies and re-checks every status once; give it time to do so.
    await eventually(
      async () => follower.passes.slice(followerPassesBefore).some((p) => p.leader && p.applied !== undefined),
      10_000,
      "a pass of the new leader",
    );
    await sleep(2000);
    const newLeaderPasses = follower.passes.slice(followerPassesBefore).filter((p) => p.leader);
    assert.ok(newLeaderPasses.length > 0);
    assert.deepEqual(await watched(), statusBefore, "Gateway and HTTPRoute status unchanged, transition times too");
    assert.equal(await statusPatches(cluster), patchesBefore, "no status PATCH during the failover");
    assert.equal(follower.controller.statusWriter.stats.writes, 0, "the new leader wrote no status");
    assert.ok(follower.controller.statusWriter.stats.unchanged > 0, "the new leader compared and skipped");
    const configMapAfter = await cluster.kubectlJson<Obj>(["get", "configmap", proxy, "-n", NS]);
    const deploymentAfter = await cluster.kubectlJson<Obj>(["get", "deployment", proxy, "-n", NS]);
    assert.equal(configMapAfter.metadata.resourceVersion, configMapBefore.metadata.resourceVersion, "ConfigMap same");
    assert.equal(deploymentAfter.metadata.generation, deploymentBefore.metadata.generation, "Deployment spec same");
    console.log(
      `      status PATCHes during the failover: ${(await statusPatches(cluster)) - patchesBefore}; ` +
        `new leader: ${newLeaderPasses.length} passes, status unchanged ${follower.controller.statusWriter.stats.unchanged}`,
    );
  });

  it("hands over at once when the leader stops cleanly (the lease is released)", async () => {
    const [leader] = leaders();
    assert.ok(leader, "a leader after the failover");
    const standby = await startReplica(cluster, "controller-c", leader.controller.xdsPort);
    replicas.push(standby);
    await eventually(async () => standby.passes.length > 0, 20_000, "the standby's first pass");
    await sleep(LEASE.durationMs); // the standby has observed the held lease for a while
    assert.equal(standby.controller.election.isLeader, false, "the standby waits while the lease is held");
    const transitionsBefore = (await lease()).spec.leaseTransitions ?? 0;
    const patchesBefore = await statusPatches(cluster);

    const stoppedAt = Date.now();
    await leader.controller.stop();
    const stopMs = Date.now() - stoppedAt;
    const takeoverMs = await eventually(
      async () => standby.controller.election.isLeader,
      LEASE.durationMs * 3,
      "the standby to take over",
      10,
    );
    // Released: the standby takes it at its next attempt, one retry period at most.
    const bound = LEASE.retryMs + REQUEST_SLACK_MS;
    console.log(`      handover after a clean stop: ${takeoverMs} ms after stop() returned (${stopMs} ms)`);
    assert.ok(takeoverMs <= bound, `took over in ${takeoverMs} ms > ${bound} ms`);
    const after = await lease();
    assert.equal(after.spec.holderIdentity, standby.id);
    assert.equal(after.spec.leaseTransitions, transitionsBefore + 1);
    await eventually(async () => standby.passes.some((p) => p.leader), 10_000, "a pass of the new leader");
    await sleep(2000);
    assert.equal(await statusPatches(cluster), patchesBefore, "no status PATCH during the handover");
    assert.equal(standby.controller.statusWriter.stats.writes, 0);
  });
});

describe("kube-apiserver restart (Kubernetes tier)", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;
  let echo: EchoBackend;
  let replica: Replica;
  let kubelet: SimulatedKubelet;
  let address: string;
  const reflectors = WATCHED_KINDS.length + 2; // every kind cluster-wide, and the proxies' Deployments and DaemonSets

  before(async () => {
    cluster = await startKubeCluster();
    await installCrds(cluster);
    await cluster.kubectl(["create", "namespace", NS]);
    echo = await startEchoBackend({ name: "restart-echo", host: cluster.nodeAddress });
    replica = await startReplica(cluster, "controller-a");
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: quickstartYaml(PORT, cluster.nodeAddress, echo.port),
    });
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
  });

  after(async () => {
    await kubelet?.stop();
    await replica?.controller.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("Envoy serves throughout the outage; afterwards a new route converges promptly, one watch per kind", async () => {
    await eventually(
      async () => (await httpGet(PORT, "www.example.com", "/", { address })).status === 200,
      90_000,
      `traffic through the Envoy pod at ${address}:${PORT}`,
    );
    await eventually(
      async () =>
        cond(await conditionsOf(cluster, ["gateway", "eg", "-n", "default"]), "Programmed")?.status === "True",
      30_000,
      "Gateway Programmed",
    );
    await sleep(2000);
    const gatewayBefore = await conditionsOf(cluster, ["gateway", "eg", "-n", "default"]);
    assert.equal(replica.controller.reflectorStats.open, reflectors, "one open watch per reflector");
    const routeWatchesBefore = await openWatches(cluster, "httproutes");
    const statsBefore = { ...replica.controller.reflectorStats };

    // Traffic all along, one request after the other.
    let traffic = true;
    const outcomes: { at: number; status: number; error?: string }[] = [];
    const load = (async () => {
      while (traffic) {
        const r = await httpGet(PORT, "www.example.com", "/", { address });
        outcomes.push({ at: Date.now(), status: r.status, ...(r.error ? { error: r.error } : {}) });
        await sleep(20);
      }
    })();
    const downAt = Date.now();
    const { downMs, readyMs } = await cluster.restartApiServer({ downMs: 5000 });
    const readyAt = Date.now();
    // Every reflector watches again soon after the API server is ready: while it was unavailable their
    // backoff grew to 2 s (±25%) at most; one more short retry if it still answered 429/503 at first.
    const rewatchMs = await eventually(
      async () => replica.controller.reflectorStats.open === reflectors,
      30_000,
      "every reflector watching again",
      10,
    );
    await sleep(Math.max(0, 1000 - rewatchMs));
    traffic = false;
    await load;
    const during = outcomes.filter((o) => o.at >= downAt && o.at <= readyAt);
    const failed = during.filter((o) => o.status !== 200);
    console.log(
      `      API server down ${downMs} ms, ready after ${readyMs} ms; ` +
        `${during.length} requests during the outage, ${failed.length} failed`,
    );
    console.log(`      every reflector watching again ${rewatchMs} ms after /readyz`);
    assert.ok(rewatchMs <= 5000, `the watches resumed ${rewatchMs} ms after the API server was ready`);
    assert.ok(during.length >= 100, `only ${during.length} requests during the outage`);
    assert.deepEqual(failed, [], "no failed request while the API server was down");

    // A change after the restart converges: status and traffic for a new host.
    const changedAt = Date.now();
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: echoRouteYaml("web2", "new.example.com"),
    });
    await eventually(
      async () =>
        cond((await conditionsOf(cluster, ["httproute", "web2", "-n", "default"]))?.parents?.[0], "Accepted")
          ?.status === "True",
      60_000,
      "web2 Accepted",
    );
    const acceptedMs = Date.now() - changedAt;
    await eventually(
      async () => (await httpGet(PORT, "new.example.com", "/", { address })).status === 200,
      60_000,
      "traffic for new.example.com",
    );
    const servedMs = Date.now() - changedAt;
    const stats = replica.controller.reflectorStats;
    console.log(
      `      after the restart: web2 Accepted in ${acceptedMs} ms, served in ${servedMs} ms; reflectors: ` +
        `${stats.watches - statsBefore.watches} watches, ${stats.lists - statsBefore.lists} lists, ` +
        `${stats.errors - statsBefore.errors} errors, ${stats.open} open`,
    );
    assert.ok(servedMs <= 5000, `converged in ${servedMs} ms > 5000 ms`);

    // No duplicate or stuck watches: one open per reflector on our side, as many as before on the server's.
    assert.equal(stats.open, reflectors, "one open watch per reflector after the restart");
    await eventually(
      async () => (await openWatches(cluster, "httproutes")) === routeWatchesBefore,
      20_000,
      `${routeWatchesBefore} open HTTPRoute watches on the API server, as before the restart`,
    );
    // Settled: no reflector keeps re-watching or re-listing (a loop), and none fails.
    const settled = { ...stats };
    await sleep(3000);
    assert.deepEqual(
      { ...replica.controller.reflectorStats },
      settled,
      "no watch, list or error in 3 s after the restart settled",
    );
    // No status flapping across the restart (the listener's attachedRoutes did change: web2).
    assert.deepEqual(
      (await conditionsOf(cluster, ["gateway", "eg", "-n", "default"]))?.conditions,
      gatewayBefore?.conditions,
      "the Gateway's conditions unchanged, transition times too",
    );
  });
});

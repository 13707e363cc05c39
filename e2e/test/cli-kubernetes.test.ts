/**
 * egctl's commands that read a cluster, run as `egts` against a real API server where the Helm chart runs the
 * controller and the controller runs a Gateway's Envoy, each pod in its own network namespace (the simulated
 * kubelet): `config envoy-proxy` and `x stats envoy-proxy` read the proxy pod's admin interface (bound on the
 * pod's loopback only) through the API server's `pods/portforward`, which the kubelet serves over WebSocket;
 * `config envoy-gateway` reads the controller pod's admin API the same way; `x status` reads the statuses the
 * controller wrote; `version --remote` finds the controller pod and its image's version.
 */
import assert from "node:assert/strict";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { imageTag } from "../../operator/src/cmd/version-cmd";
import { egtsAsync, type EgtsRun } from "../../test/support/egts-cli";
import { eventually } from "../../test/support/http";
import { CHART_NS as NS, startChartStack, type ChartPod as Pod, type ChartStack } from "../harness/chart-stack";

/** Gateway `eg`'s HTTP listener port. */
const LISTENER_PORT = 80;

type Json = Record<string, unknown>;

describe("egts's egctl commands against a cluster, through the API server's port-forward (Kubernetes tier)", function () {
  this.timeout(300_000);
  let stack: ChartStack;
  let proxy: Pod;
  let controller: Pod;
  const cli = (args: string[]): Promise<EgtsRun> => egtsAsync([...args, "--kubeconfig", stack.cluster.kubeconfig]);

  before(async () => {
    stack = await startChartStack(LISTENER_PORT);
    ({ proxy, controller } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it("config envoy-proxy listener (no pod name): every proxy pod of envoy-gateway-system, keyed namespace → pod", async () => {
    const r = await cli(["config", "envoy-proxy", "listener"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, Json>>;
    assert.deepEqual(Object.keys(out), [NS]);
    assert.deepEqual(Object.keys(out[NS] ?? {}), [proxy.metadata.name]);
    const dump = out[NS]?.[proxy.metadata.name] ?? {};
    assert.equal(dump["@type"], "type.googleapis.com/envoy.admin.v3.ListenersConfigDump");
    const listeners = (dump.dynamicListeners as { activeState: { listener: Json } }[]).map(
      (l) => l.activeState.listener,
    );
    const ports = listeners.map((l) => (l.address as { socketAddress: { portValue: number } }).socketAddress.portValue);
    // Listener port 80 binds the container port 10080 (below 1024: port + 10000, as Envoy Gateway).
    assert.deepEqual(ports, [LISTENER_PORT + 10000], JSON.stringify(dump));
  });

  it("config envoy-proxy all <pod> -n <ns> -o yaml and -l: the same pod; a pod that does not exist fails", async () => {
    const byName = await cli(["config", "envoy-proxy", "all", proxy.metadata.name, "-n", NS, "-o", "yaml"]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.match(byName.stdout, new RegExp(`^${NS}:\\n  ${proxy.metadata.name}:\\n`));
    assert.match(byName.stdout, /envoy\.admin\.v3\.BootstrapConfigDump/);
    assert.match(byName.stdout, /envoy\.admin\.v3\.EndpointsConfigDump/);
    const byLabel = await cli(["c", "proxy", "cluster", "-l", `${OWNING_GATEWAY_NAME}=eg`]);
    assert.equal(byLabel.code, 0, byLabel.stderr);
    assert.deepEqual(Object.keys((JSON.parse(byLabel.stdout) as Record<string, Json>)[NS] ?? {}), [
      proxy.metadata.name,
    ]);
    const missing = await cli(["config", "envoy-proxy", "route", "nope", "-n", NS]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: get pod envoy-gateway-system\/nope fail: /);
  });

  it("x stats envoy-proxy <pod>: Prometheus text and cluster stats from the pod's admin; a name or -l is required", async () => {
    const prom = await cli(["x", "stats", "envoy-proxy", proxy.metadata.name, "-n", NS]);
    assert.equal(prom.code, 0, prom.stderr);
    assert.ok(prom.stdout.startsWith(`${NS}/${proxy.metadata.name}:\n`), prom.stdout.slice(0, 200));
    assert.match(prom.stdout, /^envoy_server_live\{\} 1$/m);
    const clusters = await cli(["x", "stats", "ep", proxy.metadata.name, "-n", NS, "--type", "clusters", "-o", "json"]);
    assert.equal(clusters.code, 0, clusters.stderr);
    const body = (JSON.parse(clusters.stdout) as Record<string, string>)[`${NS}/${proxy.metadata.name}`] ?? "";
    assert.match(body, /"cluster_statuses"/);
    const none = await cli(["x", "stats", "envoy-proxy"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /stats requires pod name or label selector/);
  });

  it("config envoy-gateway gateway / secret: the controller pod's resources, Secrets redacted", async () => {
    const r = await cli(["config", "envoy-gateway", "gateway"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, { metadata: { name: string } }[]>>;
    assert.deepEqual(Object.keys(out[NS] ?? {}), [controller.metadata.name]);
    assert.ok(
      out[NS]?.[controller.metadata.name]?.some((g) => g.metadata.name === "eg"),
      r.stdout,
    );
    const secrets = await cli(["c", "gateway", "sec", controller.metadata.name, "-n", NS, "-o", "yaml"]);
    assert.equal(secrets.code, 0, secrets.stderr);
    assert.match(secrets.stdout, /W3JlZGFjdGVkXQ==/, "data values redacted");
    assert.doesNotMatch(secrets.stdout, /BEGIN (RSA |EC )?PRIVATE KEY|LS0tLS1CRUdJTi/, "no key material");
  });

  it("x status gateway -n default: the conditions the controller wrote", async () => {
    await eventually(
      async () => /Programmed\s+True/.test((await cli(["x", "status", "gateway", "-n", "default"])).stdout),
      60_000,
      "Gateway eg Programmed",
    );
    const r = await cli(["x", "status", "gateway", "-n", "default", "-q"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+TYPE\s+STATUS\s+REASON/);
    assert.match(r.stdout, /^eg\s+Programmed\s+True\s+Programmed/m);
  });

  it("version --remote: the controller pod and its image's version", async () => {
    const r = await cli(["version", "--remote", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { server: { namespace: string; name: string; image: string; version: string }[] };
    const image = controller.spec.containers[0]?.image ?? "";
    assert.deepEqual(v.server, [{ namespace: NS, name: controller.metadata.name, image, version: imageTag(image) }]);
    assert.notEqual(v.server[0]?.version, "unknown");
  });
});

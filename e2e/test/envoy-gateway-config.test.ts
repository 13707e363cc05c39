/**
 * `egts controller --config-path` against a real API server: the EnvoyGateway configuration's
 * `provider.kubernetes.watch` (a Gateway outside the watched namespaces gets no status), `leaderElection`
 * (the Lease carries leaseDuration; `disable` writes no Lease) and `logging.level` (each component logs at its
 * own level) reach the running controller. The controller runs as the real command (bin/egts.js).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { eventually, freePort } from "../../test/support/http";
import { prepareCluster, startKubeCluster, type KubeCluster } from "../harness";

const NS = "egts-config-system";
const REPO = resolve(__dirname, "../../..");

interface Gw {
  status?: { conditions?: { type: string; status: string; reason: string }[] };
}

/** A running `egts controller` and everything it wrote to stderr. */
interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
}

describe("egts controller --config-path (EnvoyGateway configuration) against a real API server", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let running: Running | undefined;

  const startController = async (config: string): Promise<Running> => {
    const file = join(mkdtempSync(join(tmpdir(), "egts-eg-")), "envoy-gateway.yaml");
    writeFileSync(file, `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n${config}`);
    const env = { ...process.env };
    delete env.EGTS_LOG_LEVEL; // the configuration's logging.level decides
    const args = ["bin/egts.js", "controller", "--kubeconfig", cluster.kubeconfig, "--namespace", NS];
    args.push("--xds-listen", `127.0.0.1:${await freePort()}`, "--metrics-port", String(await freePort()));
    args.push("--health-probe-port", String(await freePort()));
    const child = spawn(process.execPath, [...args, "--config-path", file], {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  };

  const stopController = async (): Promise<void> => {
    const r = running;
    running = undefined;
    if (!r || r.child.exitCode !== null) return;
    const exited = new Promise((ok) => r.child.once("exit", ok));
    r.child.kill("SIGTERM");
    await exited;
  };

  const gateway = (ns: string): Promise<Gw> => cluster.kubectlJson<Gw>(["get", "gateway", "eg", "-n", ns]);
  const accepted = (g: Gw): boolean =>
    (g.status?.conditions ?? []).some((c) => c.type === "Accepted" && c.status === "True");

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS, "team-a", "team-b"]);
    const gw = (ns: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: ${ns} }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
`;
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
${gw("team-a")}---
${gw("team-b")}`,
    });
  });

  afterEach(stopController);
  after(async () => {
    await stopController();
    await cluster?.stop();
  });

  it("watch.namespaces: the Gateway in team-a gets status, the one in team-b none; disable: no Lease; provider at debug, the rest at warn", async () => {
    running = await startController(`provider:
  type: Kubernetes
  kubernetes:
    watch: { type: Namespaces, namespaces: [team-a] }
    leaderElection: { disable: true }
logging:
  level: { default: warn, provider: debug }
`);
    const r = running;
    await eventually(async () => accepted(await gateway("team-a")), 60_000, `team-a Accepted; output:\n${r.output()}`);
    // team-a's status is written: a pass has run with team-b outside the watch. Give it more passes' time.
    await new Promise((ok) => setTimeout(ok, 3000));
    const untouched = ((await gateway("team-b")).status?.conditions ?? []).map((c) => `${c.type}=${c.reason}`);
    assert.deepEqual(
      untouched,
      ["Accepted=Pending", "Programmed=Pending"],
      "team-b is not watched: the API server's defaults only",
    );
    const leases = await cluster.kubectlJson<{ items: unknown[] }>(["get", "leases", "-n", NS]);
    assert.deepEqual(leases.items, [], "leaderElection.disable: no Lease written");
    const lines = r.output().split("\n");
    const debug = lines.filter((l) => / DEBUG /.test(l));
    assert.ok(
      debug.some((l) => / snapshot .*logger=provider/.test(l)),
      `provider logs at debug:\n${r.output()}`,
    );
    const belowWarn = lines.filter((l) => / (DEBUG|INFO) /.test(l) && !/logger=provider/.test(l));
    assert.deepEqual(belowWarn, [], "every other component logs at warn (logging.level.default)");
    assert.match(r.output(), /namespaces=team-a,egts-config-system/, "the controller's own namespace is watched too");
  });

  it("leaderElection timings reach the Lease (leaseDurationSeconds); logging.level.default: error silences info", async () => {
    running = await startController(`provider:
  type: Kubernetes
  kubernetes:
    leaderElection: { leaseDuration: 7s, renewDeadline: 5s, retryPeriod: 1s }
logging:
  level: { default: error }
`);
    const r = running;
    type Lease = { items: { spec: { leaseDurationSeconds?: number; holderIdentity?: string } }[] };
    await eventually(
      async () => (await cluster.kubectlJson<Lease>(["get", "leases", "-n", NS])).items.length === 1,
      30_000,
      `a Lease; output:\n${r.output()}`,
    );
    const lease = (await cluster.kubectlJson<Lease>(["get", "leases", "-n", NS])).items[0];
    assert.equal(lease?.spec.leaseDurationSeconds, 7, "leaseDuration 7s, not the default 15s");
    await eventually(async () => accepted(await gateway("team-b")), 60_000, "every namespace watched: team-b Accepted");
    assert.deepEqual(
      r
        .output()
        .split("\n")
        .filter((l) => / (DEBUG|INFO|WARN) /.test(l)),
      [],
      "nothing below error is logged",
    );
  });

  it("refuses to start on a setting it does not implement, naming the file and line", async () => {
    running = await startController("envoyProxy: {}\n");
    const r = running;
    const code = await new Promise<number | null>((ok) => r.child.once("exit", ok));
    assert.equal(code, 1, r.output());
    assert.match(
      r.output(),
      /envoy-gateway\.yaml:3:1: envoyProxy \(.*\) is an Envoy Gateway setting egts does not implement yet/,
    );
  });
});

/**
 * The Kubernetes harness against the real binaries built by scripts/install-kube.sh: etcd, kube-apiserver
 * and kube-controller-manager on loopback, the Gateway API CRDs, helm and chainsaw; and that no process and
 * no piece of the pod network is left behind, whether the cluster is stopped or the process that started it
 * is killed (a killed run's network is cleared by the next start).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import {
  findKubeTools,
  INSTALL_KUBE,
  KUBE_VERSIONS,
  KubeToolsMissingError,
  POD_NETWORK,
  run,
  RunError,
  startKubeCluster,
  type KubeCluster,
} from "../harness";

/** True while a process with this pid runs (a zombie waiting for its parent to reap it does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...".
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return process.platform !== "linux";
  }
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What of a pod network is on this host now: its bridge, pod namespaces and iptables chains. */
function podNetworkLeft(): string[] {
  const sh = (script: string): string => execFileSync("sh", ["-c", script], { stdio: "pipe" }).toString();
  return [
    ...(sh("ip -o link show").includes(` ${POD_NETWORK.bridge}:`) ? [`bridge ${POD_NETWORK.bridge}`] : []),
    ...sh("ip netns list")
      .split("\n")
      .filter((l) => l.startsWith(POD_NETWORK.netnsPrefix))
      .map((l) => `netns ${l.split(" ")[0]}`),
    ...sh("iptables -t nat -S; iptables -t filter -S")
      .split("\n")
      .filter((l) => l.startsWith(`-N ${POD_NETWORK.chainPrefix}`))
      .map((l) => `chain ${l.slice(3)}`),
  ];
}

interface Obj {
  metadata: { name: string; uid: string; ownerReferences?: { uid: string; kind: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
  spec?: { nodeName?: string };
  data?: Record<string, string>;
}
interface List {
  items: Obj[];
}

const deploymentYaml = (ns: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: registry.invalid/web:1
`;

describe("findKubeTools", () => {
  it("names scripts/install-kube.sh when a tool is missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "egts-empty-cache-"));
    try {
      assert.throws(
        () => findKubeTools(loadEnv({ EGTS_CACHE: empty, HOME: empty })),
        (e: unknown) => e instanceof KubeToolsMissingError && e.message.includes(INSTALL_KUBE),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("Kubernetes harness (etcd, kube-apiserver, kube-controller-manager)", function () {
  this.timeout(120_000);
  let cluster: KubeCluster | undefined;
  const c = (): KubeCluster => {
    assert.ok(cluster, "cluster not started");
    return cluster;
  };

  before(async function () {
    this.timeout(300_000);
    cluster = await startKubeCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  it(`serves /version as Kubernetes ${KUBE_VERSIONS.kubernetes}`, async () => {
    const res = await c().getRaw("/version");
    assert.equal(res.status, 200);
    const v = JSON.parse(res.body) as { gitVersion: string; major: string; minor: string; gitTreeState: string };
    assert.equal(v.gitVersion, KUBE_VERSIONS.kubernetes);
    assert.equal(`v${v.major}.${v.minor}.`, KUBE_VERSIONS.kubernetes.replace(/\d+$/, ""));
    const { stdout } = await run(c().tools.kubeApiserver, ["--version"]);
    assert.equal(stdout.trim(), `Kubernetes ${KUBE_VERSIONS.kubernetes}`);
    const client = JSON.parse(await c().kubectl(["version", "-o", "json"])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    assert.equal(client.clientVersion.gitVersion, KUBE_VERSIONS.kubernetes);
    assert.equal(client.serverVersion.gitVersion, KUBE_VERSIONS.kubernetes);
  });

  it(`has the Gateway API ${KUBE_VERSIONS.gatewayApi} standard CRDs, established and usable`, async () => {
    const crd = await c().kubectlJson<Obj & { metadata: { annotations: Record<string, string> } }>([
      "get",
      "crd",
      "httproutes.gateway.networking.k8s.io",
    ]);
    assert.equal(crd.metadata.annotations["gateway.networking.k8s.io/bundle-version"], KUBE_VERSIONS.gatewayApi);
    assert.equal(crd.metadata.annotations["gateway.networking.k8s.io/channel"], "standard");
    const established = crd.status?.conditions?.find((x) => x.type === "Established");
    assert.equal(established?.status, "True");
    await c().kubectl(["apply", "--server-side", "-f", "-"], {
      input: `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: egts
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
`,
    });
    const gc = await c().kubectlJson<Obj & { spec: { controllerName: string } }>(["get", "gatewayclass", "egts"]);
    assert.equal(gc.spec.controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
  });

  it("runs the deployment, replicaset and garbage-collector controllers", async () => {
    await c().kubectl(["create", "namespace", "workloads"]);
    await c().kubectl(["apply", "-f", "-"], { input: deploymentYaml("workloads") });
    const deploy = await c().kubectlJson<Obj>(["get", "deployment", "web", "-n", "workloads"]);
    let rs: Obj | undefined;
    await eventually("a ReplicaSet owned by the Deployment", async () => {
      const list = await c().kubectlJson<List>(["get", "replicasets", "-n", "workloads"]);
      rs = list.items.find((r) => r.metadata.ownerReferences?.some((o) => o.uid === deploy.metadata.uid));
      return rs !== undefined;
    });
    // The ReplicaSet controller creates the Pods; without scheduler or kubelet they stay Pending, unbound.
    await eventually("2 Pods owned by the ReplicaSet", async () => {
      const pods = await c().kubectlJson<List>(["get", "pods", "-n", "workloads"]);
      const owned = pods.items.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === rs?.metadata.uid));
      return owned.length === 2 && owned.every((p) => p.spec?.nodeName === undefined);
    });
    await c().kubectl(["delete", "deployment", "web", "-n", "workloads", "--wait=false"]);
    await eventually("the garbage collector to delete the ReplicaSet and Pods", async () => {
      const rss = await c().kubectlJson<List>(["get", "replicasets", "-n", "workloads"]);
      const pods = await c().kubectlJson<List>(["get", "pods", "-n", "workloads"]);
      return rss.items.length === 0 && pods.items.length === 0;
    });
  });

  it("gives namespaces a default ServiceAccount and kube-root-ca.crt, issues tokens, and finalizes deletion", async () => {
    await c().kubectl(["create", "namespace", "accounts"]);
    await eventually("ServiceAccount accounts/default", async () => {
      await c().kubectl(["get", "serviceaccount", "default", "-n", "accounts"]);
      return true;
    });
    await eventually("ConfigMap accounts/kube-root-ca.crt", async () => {
      const cm = await c().kubectlJson<Obj>(["get", "configmap", "kube-root-ca.crt", "-n", "accounts"]);
      return (cm.data?.["ca.crt"] ?? "").includes("BEGIN CERTIFICATE");
    });
    // TokenRequest (signed with the service-account key) and authentication with the token.
    const token = (await c().kubectl(["create", "token", "default", "-n", "accounts"])).trim();
    // Only the token: the admin kubeconfig's client certificate would win over it.
    const asSa = async (args: readonly string[]): Promise<string> => {
      const flags = ["--kubeconfig", "/dev/null", "--server", c().server, "--certificate-authority", c().pki.caCert];
      const res = await run(c().tools.kubectl, [...flags, "--token", token, ...args]);
      return res.stdout;
    };
    const review = JSON.parse(await asSa(["auth", "whoami", "-o", "json"])) as {
      status: { userInfo: { username: string } };
    };
    assert.equal(review.status.userInfo.username, "system:serviceaccount:accounts:default");
    // RBAC: the ServiceAccount may not list Secrets (`can-i` exits 1 and prints "no").
    const can = await asSa(["auth", "can-i", "list", "secrets", "-n", "accounts"]).catch((e: unknown) =>
      e instanceof RunError ? e.stdout : String(e),
    );
    assert.equal(can.trim(), "no");
    await c().kubectl(["delete", "namespace", "accounts", "--wait=false"]);
    await eventually("namespace accounts to be finalized and gone", async () => {
      const list = await c().kubectlJson<List>(["get", "namespaces"]);
      return !list.items.some((n) => n.metadata.name === "accounts");
    });
  });

  it(`runs helm ${KUBE_VERSIONS.helm} against the cluster`, async () => {
    const { stdout } = await run(c().tools.helm, ["version", "--short"], { env: c().toolEnv() });
    assert.match(stdout, new RegExp(`^${KUBE_VERSIONS.helm.replace(/\./g, "\\.")}\\b`));
    const list = await run(c().tools.helm, ["list", "--all-namespaces", "-o", "json"], { env: c().toolEnv() });
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  it(`runs chainsaw ${KUBE_VERSIONS.chainsaw} tests against the cluster`, async () => {
    const { stdout } = await run(c().tools.chainsaw, ["version"], { env: c().toolEnv() });
    assert.match(stdout, new RegExp(KUBE_VERSIONS.chainsaw.replace(/^v/, "").replace(/\./g, "\\.")));
    const res = await run(
      c().tools.chainsaw,
      ["test", "--no-color", "--test-dir", resolvePath(__dirname, "../../../e2e/harness/chainsaw-smoke")],
      {
        env: c().toolEnv(),
        timeoutMs: 110_000,
      },
    );
    assert.match(res.stdout + res.stderr, /Passed\s+tests 1/);
    assert.match(res.stdout + res.stderr, /Failed\s+tests 0/);
  });

  it("stop() leaves no process, no folder and no pod network behind", async () => {
    const { pids, dir } = c();
    assert.deepEqual(Object.keys(pids).sort(), ["etcd", "kube-apiserver", "kube-controller-manager"]);
    for (const pid of Object.values(pids)) assert.ok(alive(pid), `pid ${pid} should be running`);
    assert.ok(podNetworkLeft().includes(`bridge ${POD_NETWORK.bridge}`), "the pod network is up while it runs");
    await c().stop();
    for (const [name, pid] of Object.entries(pids)) assert.ok(!alive(pid), `${name} (pid ${pid}) is still running`);
    assert.ok(!existsSync(dir), `${dir} was not removed`);
    assert.deepEqual(podNetworkLeft(), []);
  });
});

describe("Kubernetes harness cleanup when its process is killed", function () {
  this.timeout(240_000);

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`leaves no component running after ${signal}`, async () => {
      const harness = join(__dirname, "..", "harness");
      const script = `
        const { startKubeCluster } = require(${JSON.stringify(harness)});
        startKubeCluster({ manifests: [] }).then(
          (c) => { console.log(JSON.stringify({ pids: c.pids, dir: c.dir })); setInterval(() => {}, 1000); },
          (e) => { console.error(e); process.exit(1); },
        );`;
      const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      const started = await new Promise<{ pids: Record<string, number>; dir: string }>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const line = out.split("\n").find((l) => l.startsWith("{"));
          if (line) resolve(JSON.parse(line) as { pids: Record<string, number>; dir: string });
        });
        child.once("exit", (code) => reject(new Error(`harness process exited with ${code} before starting`)));
      });
      const pids = Object.values(started.pids);
      assert.equal(pids.length, 3);
      child.kill(signal);
      await exited;
      await eventually("every component to die", () => Promise.resolve(pids.every((pid) => !alive(pid))), 15_000);
      // With SIGTERM the exit hook also removes the folder and the pod network; SIGKILL leaves them (nothing
      // can run then), and the next start clears the network.
      if (signal === "SIGTERM") {
        assert.ok(!existsSync(started.dir), `${started.dir} was not removed`);
        assert.deepEqual(podNetworkLeft(), [], "the exit hook removed the pod network");
      } else {
        rmSync(started.dir, { recursive: true, force: true });
        assert.ok(podNetworkLeft().includes(`bridge ${POD_NETWORK.bridge}`), "the killed run left its network");
        const next = await startKubeCluster({ manifests: [] });
        try {
          assert.equal((await next.getRaw("/readyz")).status, 200, "a cluster starts over the killed run's network");
        } finally {
          await next.stop();
        }
        assert.deepEqual(podNetworkLeft(), []);
      }
    });
  }
});

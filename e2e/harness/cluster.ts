/**
 * A throwaway Kubernetes control plane on loopback, for the Kubernetes test tier: etcd, kube-apiserver and
 * kube-controller-manager built by `scripts/install-kube.sh`, with certificates made by openssl, the
 * Gateway API standard CRDs installed, and an admin kubeconfig. There is no kubelet and no scheduler:
 * objects are stored and controllers run (Deployments get ReplicaSets and Pods, namespaces get their
 * default ServiceAccount, deletions cascade), but Pods stay Pending until a {@link SimulatedKubelet} runs them.
 *
 * The cluster also owns the pod network (pod-network.ts: a bridge, one network namespace per pod, addresses
 * from 198.18.0.0/15; needs root), a simulated kube-proxy (kube-proxy.ts: Service and LoadBalancer addresses →
 * ready endpoints) and the cluster DNS (cluster-dns.ts); kube-apiserver listens on every address (pods reach
 * it at 198.18.0.1) and allocates ClusterIPs from 198.19.0.0/17.
 *
 * ```ts
 * const cluster = await startKubeCluster();
 * await cluster.kubectl(["get", "crd"]);
 * await cluster.stop();
 * ```
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { freePort } from "../../test/support/http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { env as processEnv, type EgtsEnv } from "../../operator/src/config/env";
import { ClusterDns } from "./cluster-dns";
import { SimulatedKubeProxy } from "./kube-proxy";
import { kubeconfigYaml, makeClusterPki, type ClusterPki } from "./pki";
import { POD_NETWORK, PodNetwork } from "./pod-network";
import { ManagedProcess, registerCleanup, type StartOptions } from "./proc";
import { findKubeTools, type KubeTools } from "./tools";

/**
 * kube-controller-manager controllers that make sense without kubelet, scheduler or cloud: namespaces,
 * service accounts, workloads (Deployment → ReplicaSet → Pods, Job → Pods; they stay Pending unless the
 * simulated kubelet runs them), garbage collection,
 * endpoints, PodDisruptionBudgets, RBAC aggregation, the kube-root-ca.crt ConfigMaps, admission policy status.
 */
export const DEFAULT_CONTROLLERS: readonly string[] = [
  "serviceaccount-token-controller",
  "serviceaccount-controller",
  "namespace-controller",
  "garbage-collector-controller",
  "deployment-controller",
  "replicaset-controller",
  "job-controller",
  "ttl-after-finished-controller",
  "statefulset-controller",
  "daemonset-controller",
  "disruption-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "endpointslice-mirroring-controller",
  "root-ca-certificate-publisher-controller",
  "clusterrole-aggregation-controller",
  "resourcequota-controller",
  "service-cidr-controller",
  "validatingadmissionpolicy-status-controller",
];

/** Options of {@link startKubeCluster}. */
export interface KubeClusterOptions {
  /** The binaries (default: {@link findKubeTools} on the egts cache). */
  readonly tools?: KubeTools;
  /** Environment (default: the process's, via operator/src/config/env.ts). */
  readonly env?: EgtsEnv;
  /** Service CIDR (keep it inside 198.19.0.0/16, which the host routes to the pod bridge). @default "198.19.0.0/17" */
  readonly serviceCidr?: string;
  /** kube-controller-manager --controllers. @default DEFAULT_CONTROLLERS */
  readonly controllers?: readonly string[];
  /** Files or folders of CRDs (or any manifests) applied after start. @default the Gateway API standard CRDs */
  readonly manifests?: readonly string[];
  /** Copy the components' logs to stderr. @default EGTS_TEST_LOG */
  readonly echoLogs?: boolean;
  /** Time allowed for the whole start. @default 180000 */
  readonly startTimeoutMs?: number;
  /** Leave the temporary folder (data, certificates, logs) after stop(). @default false */
  readonly keepDir?: boolean;
}

/** Result of running a command. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that failed: its output and exit code or signal. */
export class RunError extends Error {
  override name = "RunError";
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code, or undefined when it was killed (see `signal`) or could not start. */
  readonly code: number | undefined;
  readonly signal: string | undefined;

  constructor(
    message: string,
    result: RunResult & { readonly code: number | undefined; readonly signal: string | undefined },
    options?: ErrorOptions,
  ) {
    super(message, options);
    ({ stdout: this.stdout, stderr: this.stderr, code: this.code, signal: this.signal } = result);
  }
}

/** Runs `command`; rejects with a {@link RunError} (message: its stderr) when it fails. */
export function run(
  command: string,
  args: readonly string[],
  opts: { readonly input?: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const why = stderr.trim() || err.message;
          const code = typeof err.code === "number" ? err.code : undefined;
          const signal = err.signal ?? undefined;
          const msg = `${command} ${args.join(" ")} failed (${signal ?? `code ${code ?? err.code}`}): ${why}`;
          reject(new RunError(msg, { stdout, stderr, code, signal }, { cause: err }));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** `count` distinct free TCP ports, below the kernel's ephemeral range (see `freePort`). */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

/** The first host address of an IPv4 CIDR (the `kubernetes` Service's ClusterIP). */
function firstIp(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`serviceCidr ${cidr} is not an IPv4 CIDR`);
  const n = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = Number(m[5]) === 0 ? 0 : (2 ** 32 - 2 ** (32 - Number(m[5]))) >>> 0;
  const ip = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join(".");
}

/** An HTTP answer: status code and body. */
export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTP(S) request (`send`: method, body and its content type; default GET), resolving the status and body.
 * A body is sent with its Content-Length: Node sends none for a DELETE otherwise (it does not chunk DELETE
 * bodies), and the API server would then read no DeleteOptions (a pod's `gracePeriodSeconds: 0` lost).
 */
export function httpExchange(
  url: string,
  tls?: { ca: string; cert: string; key: string },
  send?: { readonly method: string; readonly body?: string; readonly contentType?: string },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const method = send?.method ?? "GET";
    // Content-Length always: Node sends a DELETE body neither chunked nor with a length, so the API server
    // reads no body (a pod's grace-period-0 delete was ignored) and parses the body as the next request on
    // the kept-alive connection (which then failed with a bare "400 Bad Request").
    const headers: Record<string, string | number> = { "content-length": Buffer.byteLength(send?.body ?? "") };
    if (send?.contentType) headers["content-type"] = send.contentType;
    const req = (tls ? httpsRequest : httpRequest)(url, { method, headers, timeout: 5000, ...(tls ?? {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end(send?.body);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A running control plane. Call {@link KubeCluster.stop} when done. */
export class KubeCluster {
  private readonly processes: ManagedProcess[] = [];
  private stopped: Promise<void> | undefined;
  /** What stop() stops first (the simulated kubelets and their pods). */
  private readonly dependents = new Set<() => Promise<void>>();
  private readonly unregisterCleanup: () => void;
  private readonly tlsFiles: { ca: string; cert: string; key: string };

  /** Temporary folder: etcd data, certificates, kubeconfigs, logs. */
  readonly dir: string;
  readonly tools: KubeTools;
  /** API server URL, https://127.0.0.1:<port>. */
  readonly server: string;
  /** Admin kubeconfig (O=system:masters). */
  readonly kubeconfig: string;
  readonly pki: ClusterPki;
  /** @internal the pod network, from before kube-apiserver starts (destroyed by stop()). */
  podNetwork: PodNetwork | undefined;
  /** The pod network, its kube-proxy and DNS (set once kube-apiserver is ready). */
  network: { readonly pods: PodNetwork; readonly proxy: SimulatedKubeProxy; readonly dns: ClusterDns } | undefined;
  /** The API server URL as pods reach it (https://198.18.0.1:<port>, the bridge address). */
  podServer: string;
  /**
   * The Node's address, the pod bridge's (198.18.0.1): where the API server reaches the kubelet, the pods'
   * hostIP, and the host address pods reach (a test's backend or in-process controller listens here).
   */
  readonly nodeAddress: string = POD_NETWORK.gateway;
  private readonly keepDir: boolean;
  /** How kube-apiserver was started, for {@link KubeCluster.restartApiServer}. */
  private apiServerStart: StartOptions | undefined;

  /** @internal use {@link startKubeCluster}. */
  constructor(init: {
    readonly dir: string;
    readonly tools: KubeTools;
    readonly server: string;
    readonly kubeconfig: string;
    readonly pki: ClusterPki;
    readonly keepDir: boolean;
  }) {
    ({ dir: this.dir, tools: this.tools, server: this.server, kubeconfig: this.kubeconfig, pki: this.pki } = init);
    this.podServer = init.server;
    this.keepDir = init.keepDir;
    const dir = init.dir;
    this.unregisterCleanup = registerCleanup(() => {
      if (!init.keepDir) rmSync(dir, { recursive: true, force: true });
    });
    this.tlsFiles = {
      ca: readFileSync(init.pki.caCert, "utf8"),
      cert: readFileSync(init.pki.adminCert, "utf8"),
      key: readFileSync(init.pki.adminKey, "utf8"),
    };
  }

  /** Process ids of etcd, kube-apiserver and kube-controller-manager (those started so far). */
  get pids(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.processes) if (p.pid !== undefined) out[p.name] = p.pid;
    return out;
  }

  /** The components, for their logs and exit state. */
  get components(): readonly ManagedProcess[] {
    return this.processes;
  }

  /** Environment for tools run against this cluster (kubectl, helm, chainsaw): KUBECONFIG and Helm's folders. */
  toolEnv(): NodeJS.ProcessEnv {
    const helm = join(this.dir, "helm");
    return {
      ...process.env,
      KUBECONFIG: this.kubeconfig,
      HELM_CACHE_HOME: join(helm, "cache"),
      HELM_CONFIG_HOME: join(helm, "config"),
      HELM_DATA_HOME: join(helm, "data"),
    };
  }

  /** A kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount's) instead of the admin certificate. */
  tokenKubeconfig(token: string): string {
    const ca = readFileSync(this.pki.caCert).toString("base64");
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: egts-e2e",
      `    cluster: { server: "${this.podServer}", certificate-authority-data: ${ca} }`,
      "users:",
      `  - name: token`,
      `    user: { token: "${token}" }`,
      "contexts:",
      "  - name: egts-e2e",
      "    context: { cluster: egts-e2e, user: token }",
      "current-context: egts-e2e",
      "",
    ].join("\n");
  }

  /** Runs kubectl as admin; resolves to its stdout. */
  async kubectl(
    args: readonly string[],
    opts: { readonly input?: string; readonly timeoutMs?: number } = {},
  ): Promise<string> {
    const base = ["--kubeconfig", this.kubeconfig, "--cache-dir", join(this.dir, "kubectl-cache")];
    const { stdout } = await run(this.tools.kubectl, [...base, ...args], { ...opts, env: this.toolEnv() });
    return stdout;
  }

  /** `kubectl <args> -o json`, parsed. */
  async kubectlJson<T = unknown>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, "-o", "json"])) as T;
  }

  /** GET `path` on the API server as admin. */
  getRaw(path: string): Promise<HttpResult> {
    return httpExchange(`${this.server}${path}`, this.tlsFiles);
  }

  /**
   * `method` `path` on the API server as admin, with a JSON `body`; resolves the parsed answer, rejects with the
   * status and body when it is not 2xx. Cheaper than kubectl for the harness's frequent reads and writes.
   */
  async apiJson<T = unknown>(method: string, path: string, body?: object, contentType?: string): Promise<T> {
    const send = { method, contentType: contentType ?? "application/json", body: body && JSON.stringify(body) };
    const res = await httpExchange(`${this.server}${path}`, this.tlsFiles, send);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as T;
  }

  /** @internal */
  addProcess(p: ManagedProcess): void {
    this.processes.push(p);
  }

  /** @internal starts kube-apiserver (and remembers how, for {@link KubeCluster.restartApiServer}). */
  startApiServer(opts: StartOptions): void {
    this.apiServerStart = opts;
    this.addProcess(new ManagedProcess(opts));
  }

  /** Waits until kube-apiserver answers `ok` on /readyz. */
  waitForApiServer(timeoutMs = 60_000): Promise<void> {
    return this.waitFor(
      "kube-apiserver /readyz",
      async () => {
        const res = await this.getRaw("/readyz");
        return res.status === 200 && res.body.trim() === "ok";
      },
      timeoutMs,
    );
  }

  /** etcd's client URL (plaintext, loopback), once started. */
  etcdUrl: string | undefined;

  /**
   * Compacts etcd's history up to its current revision (through etcd's JSON gateway), as the API server does
   * every few minutes: a watch resumed from an older resourceVersion then gets 410 Gone. Resolves the revision.
   */
  async compactEtcd(): Promise<number> {
    if (!this.etcdUrl) throw new Error("etcd was not started by this cluster");
    const post = async (path: string, body: object): Promise<{ header?: { revision?: string } }> => {
      const res = await fetch(`${this.etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { header?: { revision?: string } };
    };
    const revision = Number(
      (await post("/v3/kv/range", { key: Buffer.from("/").toString("base64") })).header?.revision,
    );
    await post("/v3/kv/compaction", { revision: String(revision), physical: true });
    return revision;
  }

  /**
   * Stops kube-apiserver (SIGTERM to its process group, SIGKILL after `graceMs`), waits `downMs`, and starts
   * it again with the same arguments and port; etcd keeps the data. Resolves once /readyz answers `ok`,
   * with the times (ms) the API server was down (stop begun → new process started) and until it was ready.
   */
  async restartApiServer(
    opts: { readonly downMs?: number; readonly graceMs?: number; readonly timeoutMs?: number } = {},
  ): Promise<{ readonly downMs: number; readonly readyMs: number }> {
    const start = this.apiServerStart;
    const index = this.processes.findIndex((p) => p.name === "kube-apiserver");
    if (!start || index < 0) throw new Error("kube-apiserver was not started by this cluster");
    const began = Date.now();
    await this.processes[index]?.stop(opts.graceMs ?? 5000);
    if (opts.downMs) await sleep(opts.downMs);
    // The old process has exited, so its socket is closed; Go listens with SO_REUSEADDR: the port is free.
    const next = new ManagedProcess(start);
    this.processes[index] = next;
    const downMs = Date.now() - began;
    await this.waitForApiServer(opts.timeoutMs ?? 60_000);
    return { downMs, readyMs: Date.now() - began };
  }

  /**
   * Polls `check` until it returns true; fails early, with the component's log, when a component exited,
   * and after `timeoutMs` with the last error.
   */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const dead = this.processes.find((p) => !p.running);
      if (dead) throw new Error(`${dead.name} exited (${dead.exit}) while waiting for ${what}:\n${dead.tail()}`);
      try {
        if (await check()) return;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
      await sleep(200);
    }
  }

  /**
   * Registers `stop` to run first when the cluster stops (a simulated kubelet registers its own, so a test that
   * fails before it stops its kubelet leaves no pod behind); returns the unregister function.
   */
  onStop(stop: () => Promise<void>): () => void {
    this.dependents.add(stop);
    return () => this.dependents.delete(stop);
  }

  /**
   * Stops what registered with {@link KubeCluster.onStop}, the pod network's services, every component
   * (controller manager, API server, etcd: each process group), removes the pod network and the folder.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const stop of [...this.dependents]) await stop().catch(() => undefined);
      this.dependents.clear();
      if (this.network) {
        await this.network.proxy.stop();
        await this.network.dns.stop();
      }
      for (const p of [...this.processes].reverse()) await p.stop();
      await this.podNetwork?.destroy();
      if (!this.keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.unregisterCleanup();
    })();
    return this.stopped;
  }
}

/** Names of the CustomResourceDefinitions in a file or folder of YAML. */
function crdNames(path: string): string[] {
  let files: string[];
  try {
    files = readdirSync(path)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(path, f));
  } catch {
    files = [path];
  }
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (obj?.kind === "CustomResourceDefinition" && obj.metadata?.name) names.push(obj.metadata.name);
    }
  }
  return names;
}

async function startEtcd(
  cluster: KubeCluster,
  tools: KubeTools,
  ports: { client: number; peer: number },
  echo: boolean,
) {
  const client = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  const etcd = new ManagedProcess({
    name: "etcd",
    command: tools.etcd,
    args: [
      ...["--name", "egts-e2e", "--data-dir", join(cluster.dir, "etcd")],
      ...["--listen-client-urls", client, "--advertise-client-urls", client],
      ...["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer],
      ...["--initial-cluster", `egts-e2e=${peer}`, "--initial-cluster-state", "new"],
      // A test cluster: durability is not needed, speed is.
      ...["--unsafe-no-fsync", "--log-level", "warn"],
    ],
    logFile: join(cluster.dir, "etcd.log"),
    echo,
  });
  cluster.addProcess(etcd);
  await cluster.waitFor("etcd /health", async () => {
    const res = await httpExchange(`${client}/health`);
    return res.status === 200 && (JSON.parse(res.body) as { health?: string }).health === "true";
  });
  return client;
}

/** Creates the pod network (before kube-apiserver, which binds its bridge address). */
async function createPodNetwork(c: KubeCluster, apiPort: number): Promise<void> {
  c.podNetwork = await PodNetwork.create();
  c.podServer = `https://${POD_NETWORK.gateway}:${apiPort}`;
}

/** Starts the kube-proxy and the DNS of the pod network. */
async function startNetworkServices(c: KubeCluster): Promise<void> {
  const pods = c.podNetwork;
  if (!pods) return;
  const proxy = new SimulatedKubeProxy(c);
  const dns = new ClusterDns((name) => proxy.names().get(name));
  c.network = { pods, proxy, dns };
  await dns.start(POD_NETWORK.gateway);
  proxy.start();
}

/** kube-apiserver's flags. */
function apiServerArgs(o: {
  readonly etcdUrl: string;
  readonly apiPort: number;
  readonly dir: string;
  readonly pki: ClusterPki;
  readonly serviceCidr: string;
}): string[] {
  const { etcdUrl, apiPort, dir, pki, serviceCidr } = o;
  return [
    `--etcd-servers=${etcdUrl}`,
    // Pods reach the API server at the bridge address, so it listens on every address.
    "--bind-address=0.0.0.0",
    `--advertise-address=${POD_NETWORK.gateway}`,
    // The lease reconciler refuses a loopback address for the `kubernetes` Service's endpoints.
    "--endpoint-reconciler-type=none",
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, "apiserver-certs")}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    "--authorization-mode=Node,RBAC",
    `--service-cluster-ip-range=${serviceCidr}`,
    "--allow-privileged=true",
    // `kubectl logs`: the API server reads the simulated kubelet's HTTPS endpoint (kubelet-server.ts).
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    "--kubelet-preferred-address-types=InternalIP",
    "--profiling=false",
    "--v=0",
  ];
}

/** Starts etcd, kube-apiserver and kube-controller-manager, and applies the CRDs. */
export async function startKubeCluster(opts: KubeClusterOptions = {}): Promise<KubeCluster> {
  const e = opts.env ?? processEnv();
  const tools = opts.tools ?? findKubeTools(e);
  const echo = opts.echoLogs ?? e.testLog;
  const serviceCidr = opts.serviceCidr ?? POD_NETWORK.serviceCidr;
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  const started = Date.now();
  const left = (): number => Math.max(1000, timeoutMs - (Date.now() - started));

  const dir = mkdtempSync(join(tmpdir(), "egts-kube-"));
  let cluster: KubeCluster | undefined;
  try {
    const pkiDir = join(dir, "pki");
    mkdirSync(pkiDir, { mode: 0o700 });
    const pki = makeClusterPki(pkiDir, firstIp(serviceCidr), [POD_NETWORK.gateway]);
    const [etcdClient, etcdPeer, apiPort, kcmPort] = await freePorts(4);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, "admin.kubeconfig");
    writeFileSync(
      kubeconfig,
      kubeconfigYaml({ server, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey, user: "admin" }),
      { mode: 0o600 },
    );
    const kcmKubeconfig = join(dir, "controller-manager.kubeconfig");
    writeFileSync(
      kcmKubeconfig,
      kubeconfigYaml({
        server,
        caCert: pki.caCert,
        clientCert: pki.controllerManagerCert,
        clientKey: pki.controllerManagerKey,
        user: "system:kube-controller-manager",
      }),
      { mode: 0o600 },
    );
    cluster = new KubeCluster({
      dir,
      tools,
      server,
      kubeconfig,
      pki,
      keepDir: opts.keepDir ?? false,
    });
    const c = cluster;
    await createPodNetwork(c, apiPort);

    const etcdUrl = await startEtcd(c, tools, { client: etcdClient, peer: etcdPeer }, echo);
    c.etcdUrl = etcdUrl;

    c.startApiServer({
      name: "kube-apiserver",
      command: tools.kubeApiserver,
      args: apiServerArgs({ etcdUrl, apiPort, dir, pki, serviceCidr }),
      logFile: join(dir, "kube-apiserver.log"),
      echo,
    });
    await c.waitForApiServer(left());
    await startNetworkServices(c);

    const kcm = new ManagedProcess({
      name: "kube-controller-manager",
      command: tools.kubeControllerManager,
      args: [
        `--kubeconfig=${kcmKubeconfig}`,
        // No --authentication/authorization-kubeconfig: delegated authentication would wait for a
        // front-proxy CA that this API server does not have. Its /healthz stays open (always-allow path).
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        `--cert-dir=${join(dir, "controller-manager-certs")}`,
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(",")}`,
        "--profiling=false",
        "--v=0",
      ],
      logFile: join(dir, "kube-controller-manager.log"),
      echo,
    });
    c.addProcess(kcm);

    const manifests = opts.manifests ?? [tools.gatewayApiCrds];
    for (const m of manifests) await c.kubectl(["apply", "--server-side", "-f", m], { timeoutMs: left() });
    const crds = manifests.flatMap(crdNames);
    if (crds.length > 0) {
      await c.kubectl(
        [
          "wait",
          "--for=condition=Established",
          `--timeout=${Math.ceil(left() / 1000)}s`,
          ...crds.map((n) => `crd/${n}`),
        ],
        { timeoutMs: left() + 5000 },
      );
    }

    // The controller manager works once the namespace `default` has its ServiceAccount.
    await c.waitFor(
      "kube-controller-manager (ServiceAccount default/default)",
      async () => (await c.getRaw("/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
      left(),
    );
    return c;
  } catch (err) {
    if (cluster) await cluster.stop();
    else rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

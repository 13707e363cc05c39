/**
 * A stand-in for the kubelet, for the pods of the images we know: there is no container runtime here, so
 * each pod of a watched namespace whose container image is Envoy (or our controller) runs as a host
 * process. What is simulated, exactly:
 * - the image: `envoyproxy/envoy*` runs the host's Envoy binary, `*egts*` runs `node bin/egts.js`; the
 *   container's own args (and env values, including fieldRef metadata.name/namespace) are used as they are;
 * - volumes: ConfigMap and Secret volumes are written to a temporary folder and bind-mounted at their
 *   mountPath in a private mount namespace (`unshare --mount`), so paths in args and in mounted files work
 *   (an absent mountPath directory is created, empty, on the host: the bind mount needs it); the folders
 *   have the kubelet's atomic writer layout (`..data` → a timestamped data folder, each key a symlink
 *   through `..data`, see atomic-writer.ts) and are kept up to date like the kubelet's: every 2 s the
 *   ConfigMaps and Secrets of the pods' namespaces are read, and a volume whose object's data changed gets
 *   a new data folder and `..data` renamed over (the bind mount is of the folder, so the pod sees the swap
 *   at once; Envoy's SDS `watched_directory` reloads on it); a deleted object leaves the files as they are;
 * - the ServiceAccount token: for pods with a serviceAccountName and `automountServiceAccountToken` not
 *   false, a kubeconfig with a token from the TokenRequest API for that ServiceAccount is given in
 *   KUBECONFIG (in-cluster config needs the Service network, which is not routable here);
 * - networking: the pod shares the host's network; podIP is the host's first non-loopback IPv4 address;
 * - readiness: the container's httpGet readinessProbe is polled on 127.0.0.1, and the pod's status
 *   (phase Running, Ready, ContainersReady) is written through the API once it answers 200;
 * - deletion: a pod with a deletionTimestamp has its process killed and is then deleted with grace period 0;
 * - completion: a pod with restartPolicy Never (a Job's) whose process exits is reported Succeeded (exit
 *   code 0) or Failed, with the container's exit code;
 * - restarts: any other pod whose process exits is reported not Ready and started again after a backoff
 *   (1 s, doubling, at most 10 s), with its restartCount;
 * - the node: one Node object, `simulated-node`, registered with a Ready condition, so that the DaemonSet
 *   controller creates DaemonSet pods (it looks for nodes, not for a kubelet); the `not-ready` taint the API
 *   server puts on a new Node is removed, as the node lifecycle controller (not run here) would once the
 *   node is Ready; pods are not bound to it (no scheduler runs), but the DaemonSet controller finds its pods
 *   by their node affinity.
 * Nothing else (scheduling, resource limits, probes other than httpGet, liveness) is.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeAtomicVolume } from "./atomic-writer";
import type { KubeCluster } from "./cluster";
import { hostAddress } from "./observe";
import { ManagedProcess } from "./proc";

/** The parts of a Pod the simulation reads. */
interface Pod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: {
    restartPolicy?: string;
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    containers: Container[];
    volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
  };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  ports?: { name?: string; containerPort: number }[];
}

/** How images map to host programs. */
export interface KubeletOptions {
  /** The Envoy binary. */
  readonly envoyBin: string;
  /** The repository root (for bin/egts.js). */
  readonly repoRoot: string;
  /** Namespaces whose pods run here. */
  readonly namespaces: readonly string[];
  /** Copy the processes' output to stderr. */
  readonly echo?: boolean;
  /**
   * Which pods of those namespaces run here; the others stay Pending, as on a node without room for them
   * (every Envoy pod binds the same admin and readiness ports of the shared host network). @default every pod
   */
  readonly runs?: (pod: { readonly metadata: { readonly labels?: Record<string, string> } }) => boolean;
}

/** A ConfigMap or Secret volume of a running pod, kept up to date. */
interface MountedVolume {
  readonly kind: "ConfigMap" | "Secret";
  readonly namespace: string;
  readonly name: string;
  /** The host folder bind-mounted into the pod. */
  readonly dir: string;
  /** The object's data as last written (JSON), to write only on a change. */
  written: string;
}

/** The parts of a ConfigMap or Secret a volume reads. */
interface VolumeObject {
  kind?: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
}

/** How often Secret and ConfigMap volumes are compared with their objects. */
const VOLUME_SYNC_MS = 2000;

interface Running {
  /** `namespace/name`. */
  readonly pod: string;
  readonly process: ManagedProcess;
  readonly dir: string;
  readonly volumes: readonly MountedVolume[];
  ready: boolean;
  finished: boolean;
  /** Restarts so far (restartPolicy Always). */
  restarts: number;
  /** When the exit of the current process was noticed (restartPolicy Always). */
  exitedAt?: number;
}

/** The Node the simulated kubelet registers. */
export const SIMULATED_NODE = "simulated-node";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The simulated kubelet; see the module comment. */
export class SimulatedKubelet {
  private readonly running = new Map<string, Running>();
  /** Pods whose deletion was finished (their uids). */
  private readonly deleted = new Set<string>();
  private stopped = false;
  private loop?: Promise<void>;
  private volumesSyncedAt = 0;
  /** Volume updates written so far (each a `..data` swap), for tests. */
  volumeUpdates = 0;
  /** Pods started so far, by `namespace/name` (for tests). */
  readonly started: string[] = [];

  constructor(
    private readonly cluster: KubeCluster,
    private readonly opts: KubeletOptions,
  ) {}

  /** Starts reconciling every 500 ms. */
  start(): void {
    this.loop = (async () => {
      await this.registerNode().catch((err: unknown) => {
        if (this.opts.echo) process.stderr.write(`kubelet: node registration: ${String(err)}\n`);
      });
      while (!this.stopped) {
        try {
          await this.reconcile();
        } catch (err) {
          if (this.opts.echo) process.stderr.write(`kubelet: ${String(err)}\n`);
        }
        await sleep(500);
      }
    })();
  }

  /** Kills every pod process and removes their folders. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.running.keys()].map((uid) => this.kill(uid)));
  }

  /** The host pid of a running pod's process (`namespace/name`), for tests. */
  pid(pod: string): number | undefined {
    return [...this.running.values()].find((r) => r.pod === pod && r.process.running)?.process.pid;
  }

  /** Kills the process of one pod without telling the API (a crashed node, for tests). */
  async kill(uid: string): Promise<void> {
    const r = this.running.get(uid);
    if (!r) return;
    this.running.delete(uid);
    await r.process.stop(2000);
    rmSync(r.dir, { recursive: true, force: true });
  }

  private async reconcile(): Promise<void> {
    const pods: Pod[] = [];
    for (const ns of this.opts.namespaces) {
      pods.push(...(await this.cluster.kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", ns])).items);
    }
    const live = new Set(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.uid));
    for (const uid of [...this.running.keys()]) if (!live.has(uid)) await this.kill(uid);
    for (const pod of pods) await this.sync(pod);
    if (Date.now() - this.volumesSyncedAt >= VOLUME_SYNC_MS) {
      this.volumesSyncedAt = Date.now();
      await this.syncVolumes();
    }
  }

  /** Rewrites each running pod's ConfigMap and Secret volumes whose object's data changed. */
  private async syncVolumes(): Promise<void> {
    const volumes = [...this.running.values()].filter((r) => r.process.running).flatMap((r) => r.volumes);
    const byKey = new Map<string, VolumeObject>();
    for (const ns of new Set(volumes.map((v) => v.namespace))) {
      const list = await this.cluster.kubectlJson<{ items: VolumeObject[] }>(["get", "configmaps,secrets", "-n", ns]);
      for (const o of list.items) byKey.set(`${o.kind}/${ns}/${o.metadata.name}`, o);
    }
    for (const v of volumes) {
      const o = byKey.get(`${v.kind}/${v.namespace}/${v.name}`);
      if (!o || JSON.stringify(o.data ?? {}) === v.written) continue;
      this.writeVolume(v, o);
      this.volumeUpdates++;
    }
  }

  /** Writes an object's data into its volume folder (a Secret's values are base64). */
  private writeVolume(v: MountedVolume, o: VolumeObject): void {
    const data = o.data ?? {};
    const files: Record<string, Buffer> = {};
    for (const [key, value] of Object.entries(data)) {
      files[key] = v.kind === "Secret" ? Buffer.from(value, "base64") : Buffer.from(value);
    }
    writeAtomicVolume(v.dir, files);
    v.written = JSON.stringify(data);
  }

  /** One pod's step: finish its deletion, start it, report it finished, restart it, or report it Ready. */
  private async sync(pod: Pod): Promise<void> {
    if (pod.metadata.deletionTimestamp) return this.finishDeletion(pod);
    const r = this.running.get(pod.metadata.uid);
    if (!r) return this.opts.runs?.(pod) === false ? undefined : this.run(pod);
    if (!r.process.running && pod.spec.restartPolicy === "Never") {
      if (r.finished) return;
      r.finished = true;
      return this.reportFinished(pod, r.process.exit ?? "");
    }
    if (!r.process.running) return this.restartLater(pod, r);
    if (!r.ready && (await this.probe(pod))) {
      r.ready = true;
      await this.reportReady(pod, r.restarts);
    }
  }

  /**
   * A pod being deleted whose process is gone (killed above, or never ours to run): the kubelet's last
   * word, a delete with grace period 0, removes the object, so a Deployment's old pods do not linger.
   */
  private async finishDeletion(pod: Pod): Promise<void> {
    if (this.running.has(pod.metadata.uid) || this.deleted.has(pod.metadata.uid)) return;
    this.deleted.add(pod.metadata.uid);
    await this.cluster.kubectl([
      "delete",
      "pod",
      pod.metadata.name,
      "-n",
      pod.metadata.namespace,
      "--grace-period=0",
      "--force",
      "--ignore-not-found",
    ]);
  }

  /** Registers {@link SIMULATED_NODE} with a Ready condition (idempotent). */
  private async registerNode(): Promise<void> {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: SIMULATED_NODE } };
    await this.cluster.kubectl(["apply", "--server-side", "--field-manager=simulated-kubelet", "-f", "-"], {
      input: JSON.stringify(node),
    });
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const ready = { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now };
    const address = { type: "InternalIP", address: hostAddress() };
    await this.cluster.kubectl([
      "patch",
      "node",
      SIMULATED_NODE,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { conditions: [{ ...ready, lastTransitionTime: now }], addresses: [address] } }),
    ]);
    await this.cluster.kubectl(["patch", "node", SIMULATED_NODE, "--type=merge", "-p", '{"spec":{"taints":null}}']);
  }

  /**
   * A container of a restartPolicy Always/OnFailure pod exited: the pod is reported not Ready at once, and
   * the container started again after 1 s, 2 s, 4 s … (at most 10 s) since the exit was noticed.
   */
  private async restartLater(pod: Pod, r: Running): Promise<void> {
    if (r.exitedAt === undefined) {
      r.exitedAt = Date.now();
      r.ready = false;
      await this.reportNotReady(pod, r.restarts);
    }
    if (Date.now() - r.exitedAt < Math.min(10_000, 1000 * 2 ** r.restarts)) return;
    await this.kill(pod.metadata.uid);
    await this.run(pod, r.restarts + 1);
  }

  private program(image: string): { command: string; prefix: string[] } | undefined {
    if (/envoyproxy\/envoy/.test(image)) return { command: this.opts.envoyBin, prefix: [] };
    if (/egts/.test(image)) return { command: process.execPath, prefix: [join(this.opts.repoRoot, "bin", "egts.js")] };
    return undefined;
  }

  private async run(pod: Pod, restarts = 0): Promise<void> {
    const container = pod.spec.containers[0];
    if (!container) return;
    const program = this.program(container.image);
    if (!program) return;
    const dir = mkdtempSync(join(tmpdir(), `kubelet-${pod.metadata.name}-`));
    const { mounts, volumes } = await this.writeVolumes(pod, container, dir);
    const env = await this.containerEnv(pod, container, dir);
    // Bind-mount each volume at its mountPath in a private mount namespace, then exec the program.
    const script = [
      ...mounts.map((m) => `mkdir -p '${m.target}' && mount --bind '${m.source}' '${m.target}'`),
      'exec "$@"',
    ].join(" && ");
    const args = ["--mount", "--propagation", "private", "sh", "-c", script, "sh", program.command];
    const process_ = new ManagedProcess({
      name: `pod ${pod.metadata.namespace}/${pod.metadata.name}`,
      command: "unshare",
      args: [...args, ...program.prefix, ...(container.args ?? [])],
      logFile: join(dir, "output.log"),
      env,
      ...(this.opts.echo ? { echo: true } : {}),
    });
    this.running.set(pod.metadata.uid, {
      pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      process: process_,
      dir,
      volumes,
      ready: false,
      finished: false,
      restarts,
    });
    this.started.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  /** Writes ConfigMap and Secret volumes into `dir`; returns the bind mounts to make and the volumes to keep. */
  private async writeVolumes(
    pod: Pod,
    c: Container,
    dir: string,
  ): Promise<{ mounts: { source: string; target: string }[]; volumes: MountedVolume[] }> {
    const mounts: { source: string; target: string }[] = [];
    const volumes: MountedVolume[] = [];
    const namespace = pod.metadata.namespace;
    for (const m of c.volumeMounts ?? []) {
      const v = pod.spec.volumes?.find((x) => x.name === m.name);
      const source = v?.configMap
        ? { kind: "ConfigMap" as const, name: v.configMap.name }
        : v?.secret
          ? { kind: "Secret" as const, name: v.secret.secretName }
          : undefined;
      if (!source) continue;
      const volume: MountedVolume = { ...source, namespace, dir: resolve(join(dir, "volumes", m.name)), written: "" };
      const o = await this.cluster.kubectlJson<VolumeObject>(["get", source.kind, source.name, "-n", namespace]);
      this.writeVolume(volume, o);
      volumes.push(volume);
      mounts.push({ source: volume.dir, target: m.mountPath });
    }
    return { mounts, volumes };
  }

  /** The container's environment, with fieldRefs resolved, and KUBECONFIG for its ServiceAccount. */
  private async containerEnv(pod: Pod, c: Container, dir: string): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, EGTS_CACHE: process.env.EGTS_CACHE };
    for (const e of c.env ?? []) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      env[e.name] =
        field === "metadata.name"
          ? pod.metadata.name
          : field === "metadata.namespace"
            ? pod.metadata.namespace
            : e.value;
    }
    const sa = pod.spec.serviceAccountName;
    if (sa && pod.spec.automountServiceAccountToken !== false) {
      const token = (
        await this.cluster.kubectl(["create", "token", sa, "-n", pod.metadata.namespace, "--duration", "1h"])
      ).trim();
      const kubeconfig = join(dir, "kubeconfig");
      writeFileSync(kubeconfig, this.cluster.tokenKubeconfig(token));
      env.KUBECONFIG = kubeconfig;
    }
    return env;
  }

  /** GET the readinessProbe on 127.0.0.1; a container without one is ready once started. */
  private async probe(pod: Pod): Promise<boolean> {
    const c = pod.spec.containers[0];
    const get = c?.readinessProbe?.httpGet;
    if (!get) return true;
    const port = typeof get.port === "number" ? get.port : c?.ports?.find((p) => p.name === get.port)?.containerPort;
    if (!port) return false;
    return new Promise((resolve_) => {
      const req = request({ host: "127.0.0.1", port, path: get.path, timeout: 1000 }, (res) => {
        res.resume();
        resolve_(res.statusCode === 200);
      });
      req.on("error", () => resolve_(false));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  }

  /** Reports a finished pod: Succeeded when the process exited with code 0, else Failed. */
  private async reportFinished(pod: Pod, exit: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const code = /^code (\d+)$/.exec(exit)?.[1];
    const exitCode = code === undefined ? 137 : Number(code);
    const status = {
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: [{ type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: now }],
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", finishedAt: now } },
      })),
    };
    await this.patchStatus(pod, status);
  }

  private async patchStatus(pod: Pod, status: object): Promise<void> {
    await this.cluster.kubectl([
      "patch",
      "pod",
      pod.metadata.name,
      "-n",
      pod.metadata.namespace,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    ]);
  }

  private async reportNotReady(pod: Pod, restarts: number): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const cond = (type: string): object => ({
      type,
      status: "False",
      reason: "ContainersNotReady",
      lastTransitionTime: now,
    });
    const status = {
      conditions: ["ContainersReady", "Ready"].map(cond),
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: false,
        started: false,
        restartCount: restarts,
        state: { waiting: { reason: "CrashLoopBackOff" } },
      })),
    };
    await this.patchStatus(pod, status);
  }

  private async reportReady(pod: Pod, restarts = 0): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const cond = (type: string): object => ({ type, status: "True", lastTransitionTime: now });
    const status = {
      phase: "Running",
      podIP: hostAddress(),
      podIPs: [{ ip: hostAddress() }],
      hostIP: hostAddress(),
      startTime: now,
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map(cond),
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: true,
        started: true,
        restartCount: restarts,
        state: { running: { startedAt: now } },
      })),
    };
    await this.patchStatus(pod, status);
  }
}

/**
 * Helm values every chart install on the simulated kubelet needs: its pods share the host network, where the
 * Envoy pod's stats listener holds 19001, the controller's default metrics port, so the controller moves.
 */
export const SIMULATED_HOST_HELM_VALUES: readonly string[] = ["--set", "metricsPort=19011"];

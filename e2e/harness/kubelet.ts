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
 * - `registry.k8s.io/gateway-api/conformance/echo-basic:*` runs the conformance backend built by
 *   `bash scripts/install-conformance.sh` (~/.cache/egts/conformance-v1.7.0/bin/echo-basic), and
 *   `envoyproxy/ratelimit:*` the rate limit service built by `bash scripts/install-ratelimit.sh`
 *   (~/.cache/egts/ratelimit-<version>/bin/ratelimit); when one is missing the pod is reported waiting
 *   (ErrImagePull) with a message naming that script;
 * - env: `value`, `fieldRef` (below) and `secretKeyRef` (a missing Secret or key fails the start,
 *   CreateContainerConfigError, unless `optional`);
 * - volume `items` (key → path, mode) and `defaultMode` of Secret and ConfigMap volumes; a missing key fails
 *   the start (CreateContainerConfigError, message naming the key) unless the volume is `optional`;
 * - networking: the pod runs in its own network namespace (pod-network.ts: `nsenter --net`, own podIP from
 *   198.18.0.0/16, hostIP 198.18.0.1), with /etc/resolv.conf bind-mounted to name the cluster DNS
 *   (cluster-dns.ts); the namespace is deleted with the pod's process;
 * - readiness: the container's httpGet (or tcpSocket) readinessProbe is polled on the pod's address, and the
 *   pod's status (phase Running, Ready, ContainersReady, podIP, podIPs, hostIP) is written through the API once
 *   it answers 200 (or accepts the connection); a container without a readinessProbe is Ready once started;
 * - scheduling: a Pending pod of an image we run that has no nodeName is bound to the node through the
 *   `binding` subresource (the scheduler's part), so spec.nodeName is set;
 * - logs: each container's output is kept as timestamped lines and served by the kubelet's HTTPS endpoint
 *   (kubelet-server.ts, registered in the Node's status.daemonEndpoints), so `kubectl logs` (sinceTime,
 *   tailLines, follow, previous …) works through the API server;
 * - port-forward: the same endpoint serves `/portForward` over WebSocket (kubelet-port-forward.ts), dialling
 *   the port inside the pod's network namespace, so the `pods/portforward` subresource reaches what a pod
 *   binds on its own loopback (WebSocket clients such as @kubernetes/client-node's; not kubectl's SPDY);
 * - deletion: a pod with a deletionTimestamp has its containers stopped as the kubelet does (kubelet-termination.ts:
 *   all at once, each its preStop hook, exec or httpGet, then SIGTERM, then SIGKILL at the end of the pod's grace
 *   period, deletionGracePeriodSeconds or terminationGracePeriodSeconds, at least 2 s after the hook) and is then
 *   deleted with grace period 0; a pod that disappears (force-deleted) has its processes killed at once;
 * - containers: every container of an image we know runs, each in its own mount namespace with its own volumes,
 *   all in the pod's network namespace (so a sidecar reaches the main container on 127.0.0.1); the pod is Ready
 *   when each one's readinessProbe answers; a sidecar (not the first container) that exits is started again
 *   after 1 s, alone; the first container exiting restarts them all (below);
 * - completion: a pod with restartPolicy Never (a Job's) whose process exits is reported Succeeded (exit
 *   code 0) or Failed, with the container's exit code;
 * - restarts: any other pod whose process exits is reported not Ready and started again after a backoff
 *   (1 s, doubling, at most 10 s), with its restartCount;
 * - the node: one Node object, `simulated-node`, registered with a Ready condition, so that the DaemonSet
 *   controller creates DaemonSet pods (it looks for nodes, not for a kubelet); the `not-ready` taint the API
 *   server puts on a new Node is removed, as the node lifecycle controller (not run here) would once the
 *   node is Ready; its InternalIP is the cluster's node address and its kubelet endpoint the HTTPS server.
 * - emptyDir volumes: an empty folder of the container's run, bind-mounted like the others;
 * - projected volumes of `serviceAccountToken` sources: a token for the source's audience bound to the pod,
 *   rotated at 80 % of its lifetime (kubelet-projected.ts);
 * Nothing else (resource limits, init containers, containers of images we do not know, startup, liveness and exec
 * probes, postStart hooks, other projected sources, securityContext) is.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { env as processEnv } from "../../operator/src/config/env";
import { isExecutableFile } from "../../operator/src/infra/host/envoy-binary";
import { cachedRatelimitPath } from "../../operator/src/infra/host/ratelimit-binary";
import { writeAtomicVolume, type VolumeFile } from "./atomic-writer";
import type { KubeCluster } from "./cluster";
import { podResolvConf } from "./cluster-dns";
import { ContainerLog, KubeletServer } from "./kubelet-server";
import { ProjectedTokenVolume, projectedVolumeProblem, type ProjectedVolumeSource } from "./kubelet-projected";
import { POD_NETWORK, type PodSandbox } from "./pod-network";
import { ManagedProcess } from "./proc";
import { podGraceSeconds, stopContainer, type PreStopHook, type StoppingContainer } from "./kubelet-termination";
import { EGTS_ENTRYPOINT } from "../../constructs/shutdown-manager";

/** The command that builds the conformance backend (echo-basic). */
export const INSTALL_CONFORMANCE = "bash scripts/install-conformance.sh";

/** The command that builds the rate limit service (and installs redis-server). */
export const INSTALL_RATELIMIT = "bash scripts/install-ratelimit.sh";

/** Where `bash scripts/install-conformance.sh` puts echo-basic, under the egts cache `cacheDir`. */
export function echoBasicPath(cacheDir: string = processEnv().cacheDir): string {
  return join(cacheDir, "conformance-v1.7.0", "bin", "echo-basic");
}

/** The echo-basic binary; throws an error naming {@link INSTALL_CONFORMANCE} when it is missing. */
export function requireEchoBasic(cacheDir?: string): string {
  const bin = echoBasicPath(cacheDir);
  if (!isExecutableFile(bin)) {
    throw new Error(`the conformance backend ${bin} is missing: run \`${INSTALL_CONFORMANCE}\` to build it`);
  }
  return bin;
}

/** The parts of a Pod the simulation reads. */
interface Pod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec: {
    terminationGracePeriodSeconds?: number;
    nodeName?: string;
    restartPolicy?: string;
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    containers: Container[];
    volumes?: PodVolume[];
  };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** A volume item: one key projected at a path. */
interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface PodVolume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  emptyDir?: Record<string, unknown>;
  projected?: ProjectedVolumeSource;
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path?: string; port: number | string }; tcpSocket?: { port: number | string } };
  ports?: { name?: string; containerPort: number }[];
  lifecycle?: { preStop?: PreStopHook };
}

/** A pod start that failed for a reason the pod's status reports (a waiting container). */
class StartError extends Error {
  override name = "StartError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** How images map to host programs. */
export interface KubeletOptions {
  /** The Envoy binary. */
  readonly envoyBin: string;
  /** The repository root (for bin/egts.js). */
  readonly repoRoot: string;
  /** Namespaces whose pods run here, or "all". */
  readonly namespaces: readonly string[] | "all";
  /** The echo-basic binary. @default {@link echoBasicPath} */
  readonly echoBasicBin?: string;
  /** The rate limit service binary, for `envoyproxy/ratelimit` images. @default where scripts/install-ratelimit.sh puts it */
  readonly ratelimitBin?: string;
  /** Copy the processes' output to stderr. */
  readonly echo?: boolean;
  /** Which pods of those namespaces run here; the others stay Pending, as on a node without room for them. @default every pod */
  readonly runs?: (pod: { readonly metadata: { readonly labels?: Record<string, string> } }) => boolean;
}

/** A pod whose container is about to start, as {@link SimulatedKubelet.beforeContainerStart} sees it. */
export interface StartingPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A ConfigMap or Secret volume of a running pod, kept up to date. */
interface MountedVolume {
  readonly kind: "ConfigMap" | "Secret";
  readonly namespace: string;
  readonly name: string;
  /** The host folder bind-mounted into the pod. */
  readonly dir: string;
  /** The volume's items (all keys when undefined), default mode and whether the object may be missing. */
  readonly items: readonly KeyToPath[] | undefined;
  readonly defaultMode: number;
  readonly optional: boolean;
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
/** A pod still listed this long after its final delete was sent gets it again. */
const DELETE_RETRY_MS = 5000;

/** A container of a pod other than the first, running. */
interface Sidecar {
  readonly spec: Container;
  process: ManagedProcess;
  log: ContainerLog;
  previousLog: ContainerLog | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Its command line (to start it again). */
  readonly command: { command: string; args: string[] };
  readonly logFile: string;
  restarts: number;
  exitedAt?: number;
}

interface Running {
  /** `namespace/name`. */
  readonly pod: string;
  readonly container: string;
  /** The first container's spec and environment (its preStop hook runs with it). */
  readonly spec: Container;
  readonly env: NodeJS.ProcessEnv;
  /** The other containers of images we run. */
  readonly sidecars: Sidecar[];
  /** Set once the pod's deletion began stopping its containers. */
  terminating?: Promise<void>;
  readonly process: ManagedProcess;
  /** The container's output; and the previous instance's, after a restart. */
  readonly log: ContainerLog;
  readonly previousLog: ContainerLog | undefined;
  /** The pod's network. */
  readonly sandbox: PodSandbox;
  /** When the kubelet first saw the pod (ms), for {@link SimulatedKubelet.startTimes}. */
  readonly seenAt: number;
  readonly dir: string;
  readonly volumes: readonly MountedVolume[];
  /** Its projected service-account token volumes (every container's). */
  readonly tokens: readonly ProjectedTokenVolume[];
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

/** Whether a TCP connection to `host`:`port` opens within 1 s. */
function tcpProbe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve_) => {
    const socket = connect({ host, port, timeout: 1000 }, () => {
      socket.destroy();
      resolve_(true);
    });
    socket.on("error", () => resolve_(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve_(false);
    });
  });
}

/** Where egts's images see the repository (bind-mounted first, see `programMounts`); outside any volume path. */
const POD_REPO_ROOT = "/run/egts-kubelet-repo";

/**
 * The command that runs `argv` as a pod's container: in the pod's network namespace, and in a private mount
 * namespace (`unshare --mount`) where each volume is bind-mounted at its mountPath, with the pod's
 * /etc/resolv.conf and a private /dev/shm.
 */
function podCommand(
  mounts: readonly { source: string; target: string }[],
  sandbox: PodSandbox,
  argv: readonly string[],
): { command: string; args: string[] } {
  const script = [
    ...mounts.map((m) =>
      m.target === "/etc/resolv.conf"
        ? `mount --bind '${m.source}' '${m.target}'`
        : `mkdir -p '${m.target}' && mount --bind '${m.source}' '${m.target}'`,
    ),
    // Its own /dev/shm, as a container has (Envoy's hot-restart memory is named by base id alone).
    "mount -t tmpfs -o size=64m shm /dev/shm",
    'exec "$@"',
  ].join(" && ");
  const unshare = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", ...argv];
  const [command, ...args] = [...sandbox.enter, ...unshare];
  return { command: command ?? "nsenter", args };
}

/** A ConfigMap or Secret volume's object kind, name and projection settings; undefined for other volumes. */
function objectVolumeSource(
  v: PodVolume | undefined,
): (Omit<NonNullable<PodVolume["configMap"]>, "name"> & { kind: "ConfigMap" | "Secret"; name: string }) | undefined {
  if (v?.configMap) return { ...v.configMap, kind: "ConfigMap" };
  if (v?.secret) return { ...v.secret, kind: "Secret", name: v.secret.secretName };
  return undefined;
}

/** The port number a probe names (a number, or a container port's name). */
function probePort(c: Container | undefined, port: number | string): number | undefined {
  return typeof port === "number" ? port : c?.ports?.find((p) => p.name === port)?.containerPort;
}

/** The simulated kubelet; see the module comment. */
export class SimulatedKubelet {
  private readonly running = new Map<string, Running>();
  /** Pods whose final delete was sent: uid → when (sent again after {@link DELETE_RETRY_MS}). */
  private readonly deleted = new Map<string, number>();
  /** Pods whose last start failed (uid → message): the same failure is reported once, the start retried. */
  private readonly failed = new Map<string, string>();
  private stopped = false;
  private loop?: Promise<void>;
  private volumesSyncedAt = 0;
  private server?: KubeletServer;
  private unregister?: () => void;
  /**
   * Whether a deleted pod's containers run their preStop hooks before SIGTERM (the kubelet's way). A test sets
   * it to false to see what a pod without them loses. @default true
   */
  runsPreStopHooks = true;
  /** Volume updates written so far (each a `..data` swap), for tests. */
  volumeUpdates = 0;
  /** Pods started so far, by `namespace/name` (for tests). */
  readonly started: string[] = [];
  /** Time (ms) from the kubelet first seeing a pod to its Ready status written, by `namespace/name`. */
  readonly startTimes = new Map<string, number>();

  constructor(
    private readonly cluster: KubeCluster,
    private readonly opts: KubeletOptions,
  ) {}

  /** Starts the HTTPS endpoint, registers the node, and reconciles every 500 ms (until it or the cluster stops). */
  start(): void {
    this.unregister = this.cluster.onStop(() => this.stop());
    this.loop = (async () => {
      await this.registerNode().catch((err: unknown) => {
        process.stderr.write(`kubelet: node registration: ${String(err)}\n`);
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

  /** Kills every pod process and removes their folders and networks. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    await this.loop;
    await Promise.all([...this.running.keys()].map((uid) => this.kill(uid)));
    await this.server?.stop();
  }

  /** The host pid of a running pod's process (`namespace/name`), for tests. */
  pid(pod: string): number | undefined {
    return [...this.running.values()].find((r) => r.pod === pod && r.process.running)?.process.pid;
  }

  /** The address of a running pod (`namespace/name`). */
  podIp(pod: string): string | undefined {
    return [...this.running.values()].find((x) => x.pod === pod)?.sandbox.ip;
  }

  /**
   * The command prefix that runs a program in a running pod's network namespace (`namespace/name`), e.g. to
   * reach what the pod binds on its own loopback.
   */
  podEnter(pod: string): readonly string[] | undefined {
    return [...this.running.values()].find((x) => x.pod === pod && x.process.running)?.sandbox.enter;
  }

  /**
   * Called for each pod once its network namespace exists and before its container starts; a start waits for
   * it. Tests use it to see which pods start, or to put something in a pod's network first, as a sidecar
   * container would. @default none
   */
  beforeContainerStart: ((pod: StartingPod, sandbox: PodSandbox) => Promise<void>) | undefined;

  /** Kills the process of one pod without telling the API (a crashed node, for tests). */
  async kill(uid: string): Promise<void> {
    const r = this.running.get(uid);
    if (!r) return;
    this.running.delete(uid);
    await Promise.all([r.process, ...r.sidecars.map((c) => c.process)].map((p) => p.stop(2000)));
    r.log.closed = true;
    for (const c of r.sidecars) c.log.closed = true;
    rmSync(r.dir, { recursive: true, force: true });
    await this.cluster.network?.pods.removePod(uid);
  }

  /** The pods of the watched namespaces. */
  private async listPods(): Promise<Pod[]> {
    if (this.opts.namespaces === "all") {
      return (await this.cluster.apiJson<{ items: Pod[] }>("GET", "/api/v1/pods")).items;
    }
    const pods: Pod[] = [];
    for (const ns of this.opts.namespaces) {
      pods.push(...(await this.cluster.apiJson<{ items: Pod[] }>("GET", `/api/v1/namespaces/${ns}/pods`)).items);
    }
    return pods;
  }

  private async reconcile(): Promise<void> {
    const pods = await this.listPods();
    const live = new Set(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.uid));
    const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
    for (const uid of [...this.running.keys()]) {
      if (live.has(uid)) continue;
      const pod = byUid.get(uid);
      if (pod && podGraceSeconds(pod) > 0) this.terminate(uid, pod);
      else await this.kill(uid);
    }
    await Promise.all(
      pods.map((pod) =>
        this.sync(pod).catch((err: unknown) => {
          if (this.opts.echo)
            process.stderr.write(`kubelet: ${pod.metadata.namespace}/${pod.metadata.name}: ${String(err)}\n`);
        }),
      ),
    );
    if (Date.now() - this.volumesSyncedAt >= VOLUME_SYNC_MS) {
      this.volumesSyncedAt = Date.now();
      await this.syncVolumes();
    }
  }

  /**
   * Rewrites each running pod's ConfigMap and Secret volumes whose object's data changed, and its projected
   * tokens that are due for rotation.
   */
  private async syncVolumes(): Promise<void> {
    for (const t of [...this.running.values()].filter((r) => r.process.running).flatMap((r) => r.tokens)) {
      if (await t.refreshIfDue().catch(() => false)) this.volumeUpdates++;
    }
    const volumes = [...this.running.values()].filter((r) => r.process.running).flatMap((r) => r.volumes);
    // (a sidecar's volumes are in its pod's list: run() keeps them together)
    const byKey = new Map<string, VolumeObject>();
    for (const ns of new Set(volumes.map((v) => v.namespace))) {
      for (const kind of ["ConfigMap", "Secret"]) {
        const path = `/api/v1/namespaces/${ns}/${kind === "Secret" ? "secrets" : "configmaps"}`;
        const list = await this.cluster.apiJson<{ items: VolumeObject[] }>("GET", path);
        for (const o of list.items) byKey.set(`${kind}/${ns}/${o.metadata.name}`, o);
      }
    }
    for (const v of volumes) {
      const o = byKey.get(`${v.kind}/${v.namespace}/${v.name}`);
      if (!o || JSON.stringify(o.data ?? {}) === v.written) continue;
      try {
        this.writeVolume(v, o);
        this.volumeUpdates++;
      } catch (err) {
        if (this.opts.echo)
          process.stderr.write(`kubelet: volume ${v.kind} ${v.namespace}/${v.name}: ${String(err)}\n`);
      }
    }
  }

  /**
   * Writes an object's data into its volume folder (a Secret's values are base64): every key, or the volume's
   * items at their paths. Throws a {@link StartError} naming a missing item key.
   */
  private writeVolume(v: MountedVolume, o: VolumeObject): void {
    const data = o.data ?? {};
    const bytes = (key: string): Buffer | undefined => {
      const value = data[key];
      if (value === undefined) return undefined;
      return v.kind === "Secret" ? Buffer.from(value, "base64") : Buffer.from(value);
    };
    const files: Record<string, VolumeFile> = {};
    const items: readonly KeyToPath[] = v.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) {
      const content = bytes(item.key);
      if (content === undefined) {
        if (v.optional) continue;
        throw new StartError(
          "CreateContainerConfigError",
          `couldn't find key ${item.key} in ${v.kind} ${v.namespace}/${v.name}`,
        );
      }
      files[item.path] = { content, mode: item.mode ?? v.defaultMode };
    }
    writeAtomicVolume(v.dir, files);
    v.written = JSON.stringify(data);
  }

  /** One pod's step: finish its deletion, bind and start it, report it finished, restart it, or report it Ready. */
  private async sync(pod: Pod): Promise<void> {
    if (pod.metadata.deletionTimestamp) return this.finishDeletion(pod);
    const r = this.running.get(pod.metadata.uid);
    if (!r) return this.opts.runs?.(pod) === false ? undefined : this.startPod(pod);
    if (!r.process.running && pod.spec.restartPolicy === "Never") {
      if (r.finished) return;
      r.finished = true;
      return this.reportFinished(pod, r.process.exit ?? "");
    }
    if (!r.process.running) return this.restartLater(pod, r);
    for (const c of r.sidecars) this.restartSidecar(r, c);
    if (!r.ready && (await this.probe(pod, r))) {
      await this.reportReady(pod, r); // throws: not marked, so the next pass reports it again
      r.ready = true;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (!this.startTimes.has(key)) this.startTimes.set(key, Date.now() - r.seenAt);
    }
  }

  /**
   * Binds (as the scheduler) and runs a pod of an image we know. A start that fails (a volume's object not
   * there yet, a missing program) is retried at the next pass, as the kubelet does; each new failure message
   * is reported once, as the container's waiting state.
   */
  private async startPod(pod: Pod): Promise<void> {
    const container = pod.spec.containers[0];
    if (!container || !this.program(container.image)) return;
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    try {
      if (!pod.spec.nodeName) await this.bind(pod);
      await this.run(pod);
      this.failed.delete(pod.metadata.uid);
    } catch (err) {
      const e = err instanceof StartError ? err : new StartError("ContainerCreating", String(err));
      await this.cluster.network?.pods.removePod(pod.metadata.uid);
      if (this.failed.get(pod.metadata.uid) === e.message) return;
      this.failed.set(pod.metadata.uid, e.message);
      if (this.opts.echo || e.reason === "ErrImagePull") {
        process.stderr.write(`kubelet: pod ${pod.metadata.namespace}/${pod.metadata.name}: ${e.message}\n`);
      }
      await this.reportWaiting(pod, e.reason, e.message);
    }
  }

  /** The scheduler's part: binds the pod to {@link SIMULATED_NODE}. */
  private async bind(pod: Pod): Promise<void> {
    const { name, namespace } = pod.metadata;
    const binding = {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name, namespace },
      target: { apiVersion: "v1", kind: "Node", name: SIMULATED_NODE },
    };
    await this.cluster.apiJson("POST", `/api/v1/namespaces/${namespace}/pods/${name}/binding`, binding);
  }

  /**
   * A pod being deleted whose process is gone (killed above, or never ours to run): the kubelet's last
   * word, a delete with grace period 0, removes the object, so a Deployment's old pods do not linger.
   */
  private async finishDeletion(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    const sentAt = this.deleted.get(uid);
    // Level-based: a pod still listed a while after its delete was sent gets the delete again.
    if (this.running.has(uid) || (sentAt !== undefined && Date.now() - sentAt < DELETE_RETRY_MS)) return;
    this.deleted.set(uid, Date.now());
    const { name, namespace } = pod.metadata;
    const options = { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid } };
    await this.cluster
      .apiJson("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`, options)
      .catch((err: unknown) => {
        if (/: (404|409) /.test(String(err))) return; // gone, or a new pod of that name
        // Tried again at the next pass, and said: a pod left Terminating is a hard thing to explain.
        this.deleted.delete(uid);
        process.stderr.write(`kubelet: deleting pod ${namespace}/${name}: ${String(err)}
`);
      });
  }

  /** Registers {@link SIMULATED_NODE} with a Ready condition and the kubelet endpoint (idempotent). */
  private async registerNode(): Promise<void> {
    const pki = this.cluster.pki;
    this.server = new KubeletServer(
      { cert: readFileSync(pki.kubeletCert, "utf8"), key: readFileSync(pki.kubeletKey, "utf8") },
      (ns, pod, container, previous) => {
        const r = [...this.running.values()].find((x) => x.pod === `${ns}/${pod}`);
        const c = r?.container === container ? r : r?.sidecars.find((x) => x.spec.name === container);
        return previous ? c?.previousLog : c?.log;
      },
      (pod) => this.podEnter(pod),
    );
    const port = await this.server.start(this.cluster.nodeAddress);
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: SIMULATED_NODE } };
    await this.cluster.kubectl(["apply", "--server-side", "--field-manager=simulated-kubelet", "-f", "-"], {
      input: JSON.stringify(node),
    });
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const ready = { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now };
    const address = { type: "InternalIP", address: this.cluster.nodeAddress };
    const status = {
      conditions: [{ ...ready, lastTransitionTime: now }],
      addresses: [address],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    };
    await this.cluster.kubectl([
      "patch",
      "node",
      SIMULATED_NODE,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
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
    await this.run(pod, r);
  }

  /**
   * The bind mounts a container of `image` needs before its volumes: egts's images get the repository at
   * POD_REPO_ROOT, so a volume mounted over the folder holding the repository (an emptyDir at /tmp, when the
   * repository is a clone under /tmp, as CI's may be) cannot hide `bin/egts.js` from the container.
   */
  private programMounts(image: string): { source: string; target: string }[] {
    return /egts/.test(image) ? [{ source: this.opts.repoRoot, target: POD_REPO_ROOT }] : [];
  }

  /** The host program of an image, and the command that installs it when it is missing (none: always there). */
  private program(image: string): { command: string; prefix: string[]; install?: string } | undefined {
    if (/envoyproxy\/envoy/.test(image)) return { command: this.opts.envoyBin, prefix: [] };
    if (/egts/.test(image)) return { command: process.execPath, prefix: [join(POD_REPO_ROOT, "bin", "egts.js")] };
    if (/^registry\.k8s\.io\/gateway-api\/conformance\/echo-basic(:|@|$)/.test(image)) {
      return { command: this.opts.echoBasicBin ?? echoBasicPath(), prefix: [], install: INSTALL_CONFORMANCE };
    }
    if (/^(docker\.io\/)?envoyproxy\/ratelimit(:|@|$)/.test(image)) {
      const command = this.opts.ratelimitBin ?? cachedRatelimitPath(processEnv().cacheDir);
      return { command, prefix: [], install: INSTALL_RATELIMIT };
    }
    return undefined;
  }

  /** Starts the pod's first container (again, after `previous` exited). */
  private async run(pod: Pod, previous?: Running): Promise<void> {
    const container = pod.spec.containers[0];
    const program = container && this.program(container.image);
    if (!container || !program) return;
    this.requireProgram(container.image, program);
    const seenAt = previous?.seenAt ?? Date.now();
    const dir = mkdtempSync(join(tmpdir(), `kubelet-${pod.metadata.name}-`));
    const prepared = await this.prepare(pod, container, dir).catch((err: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    });
    const { volumes, tokens, sandbox, env } = prepared;
    const mounts = [...this.programMounts(container.image), ...prepared.mounts];
    const log = new ContainerLog();
    const process_ = new ManagedProcess({
      name: `pod ${pod.metadata.namespace}/${pod.metadata.name}`,
      ...podCommand(mounts, sandbox, [program.command, ...program.prefix, ...(container.args ?? [])]),
      logFile: join(dir, "output.log"),
      env,
      onOutput: (chunk) => log.append(chunk),
      ...(this.opts.echo ? { echo: true } : {}),
    });
    const sidecars: Sidecar[] = [];
    try {
      for (const [i, c] of pod.spec.containers.entries()) {
        if (i === 0) continue;
        const kept = { volumes, tokens };
        const sidecar = await this.startSidecar(pod, c, join(dir, `container-${i}`), sandbox, kept);
        if (sidecar) sidecars.push(sidecar);
      }
    } catch (err) {
      await Promise.all([process_, ...sidecars.map((c) => c.process)].map((p) => p.stop(2000)));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.running.set(pod.metadata.uid, {
      pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      container: container.name,
      spec: container,
      env,
      sidecars,
      process: process_,
      log,
      previousLog: previous?.log,
      sandbox,
      seenAt,
      dir,
      volumes,
      tokens,
      ready: false,
      finished: false,
      restarts: previous ? previous.restarts + 1 : 0,
    });
    this.started.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  /**
   * Starts a container other than the first in the pod's network namespace, with its own volumes (added to
   * `kept`, kept up to date with the pod's) and environment; undefined for an image we do not run.
   */
  private async startSidecar(
    pod: Pod,
    c: Container,
    dir: string,
    sandbox: PodSandbox,
    kept: { volumes: MountedVolume[]; tokens: ProjectedTokenVolume[] },
  ): Promise<Sidecar | undefined> {
    const program = this.program(c.image);
    if (!program) return undefined;
    this.requireProgram(c.image, program);
    mkdirSync(dir, { recursive: true });
    const written = await this.writeVolumes(pod, c, dir);
    kept.volumes.push(...written.volumes);
    kept.tokens.push(...written.tokens);
    const resolvConf = join(dir, "resolv.conf");
    writeFileSync(resolvConf, podResolvConf(POD_NETWORK.gateway, pod.metadata.namespace));
    const mounts = [
      ...this.programMounts(c.image),
      ...written.mounts,
      { source: resolvConf, target: "/etc/resolv.conf" },
      ...written.empties,
    ];
    const env = await this.containerEnv(pod, c, dir, sandbox);
    const command = podCommand(mounts, sandbox, [program.command, ...program.prefix, ...(c.args ?? [])]);
    const started = { spec: c, env, command, logFile: join(dir, "output.log"), log: new ContainerLog() };
    const process_ = this.spawnSidecar(`${pod.metadata.namespace}/${pod.metadata.name}`, started);
    return { ...started, process: process_, previousLog: undefined, restarts: 0 };
  }

  /** Starts a sidecar's process. */
  private spawnSidecar(pod: string, c: Pick<Sidecar, "spec" | "command" | "logFile" | "env" | "log">): ManagedProcess {
    const log = c.log;
    return new ManagedProcess({
      name: `pod ${pod} container ${c.spec.name}`,
      ...c.command,
      logFile: c.logFile,
      env: c.env,
      onOutput: (chunk) => log.append(chunk),
      ...(this.opts.echo ? { echo: true } : {}),
    });
  }

  /** A sidecar that exited is started again, alone, 1 s after its exit was noticed (not while terminating). */
  private restartSidecar(r: Running, c: Sidecar): void {
    if (c.process.running || r.terminating) return;
    if (c.exitedAt === undefined) c.exitedAt = Date.now();
    if (Date.now() - c.exitedAt < 1000) return;
    c.previousLog = c.log;
    c.log.closed = true;
    c.log = new ContainerLog();
    c.exitedAt = undefined;
    c.restarts++;
    c.process = this.spawnSidecar(r.pod, c);
  }

  /**
   * A deleted pod's containers stopped the kubelet's way (kubelet-termination.ts), all at once; then its folder
   * and network go and its final delete is sent (finishDeletion, once it is no longer running here).
   */
  private terminate(uid: string, pod: Pod): void {
    const r = this.running.get(uid);
    if (!r || r.terminating) return;
    const deadline = Date.now() + podGraceSeconds(pod) * 1000;
    const stopping: StoppingContainer[] = [
      this.stopping(r.spec, r.process, r.env, r.log),
      ...r.sidecars.map((c) => this.stopping(c.spec, c.process, c.env, c.log)),
    ];
    r.terminating = Promise.all(stopping.map((c) => stopContainer(c, r.sandbox.ip, deadline)))
      .catch((err: unknown) =>
        process.stderr.write(`kubelet: stopping ${r.pod}: ${String(err)}
`),
      )
      .then(() => this.kill(uid));
  }

  /** A running container as {@link stopContainer} takes it; an exec hook's command runs the image's program. */
  private stopping(
    c: Container,
    process_: ManagedProcess,
    env: NodeJS.ProcessEnv,
    log: ContainerLog,
  ): StoppingContainer {
    const preStop = c.lifecycle?.preStop;
    const command = preStop?.exec?.command;
    const hook = !this.runsPreStopHooks
      ? undefined
      : command
        ? { exec: { command: this.hostCommand(c.image, command) } }
        : preStop;
    return {
      name: c.name,
      process: process_,
      env,
      ...(hook ? { preStop: hook } : {}),
      ...(c.ports ? { ports: c.ports } : {}),
      log: (line) => log.append(Buffer.from(`${line}\n`)),
    };
  }

  /**
   * The host command of a command run in a container of `image`: the controller image's entrypoint
   * (constructs/shutdown-manager.ts EGTS_ENTRYPOINT) becomes `node bin/egts.js`; other commands run as they are.
   */
  private hostCommand(image: string, command: readonly string[]): string[] {
    const program = this.program(image);
    const entry = EGTS_ENTRYPOINT;
    if (program && /egts/.test(image) && entry.every((part, i) => command[i] === part)) {
      return [program.command, ...program.prefix, ...command.slice(entry.length)];
    }
    return [...command];
  }

  /** Writes the pod's volumes into `dir`, creates its network namespace and its environment. */
  private async prepare(
    pod: Pod,
    container: Container,
    dir: string,
  ): Promise<{
    mounts: { source: string; target: string }[];
    volumes: MountedVolume[];
    tokens: ProjectedTokenVolume[];
    sandbox: PodSandbox;
    env: NodeJS.ProcessEnv;
  }> {
    const { mounts, empties, volumes, tokens } = await this.writeVolumes(pod, container, dir);
    const network = this.cluster.network;
    if (!network) throw new Error("the cluster's pod network is not running (the cluster was stopped?)");
    const sandbox = await network.pods.addPod(pod.metadata.uid);
    const resolvConf = join(dir, "resolv.conf");
    writeFileSync(resolvConf, podResolvConf(POD_NETWORK.gateway, pod.metadata.namespace));
    mounts.push({ source: resolvConf, target: "/etc/resolv.conf" }, ...empties);
    const { namespace, name, labels } = pod.metadata;
    await this.beforeContainerStart?.({ namespace, name, labels: labels ?? {} }, sandbox);
    const env = await this.containerEnv(pod, container, dir, sandbox);
    return { mounts, volumes, tokens, sandbox, env };
  }

  /** Throws a {@link StartError} when an image's program is missing, naming its install step. */
  private requireProgram(image: string, program: { command: string; install?: string }): void {
    if (isExecutableFile(program.command)) return;
    const how = program.install ? `: run \`${program.install}\` to build it` : "";
    throw new StartError("ErrImagePull", `image ${image}: ${program.command} is missing${how}`);
  }

  /**
   * Writes ConfigMap, Secret and projected token volumes into `dir`; returns the bind mounts to make and the
   * volumes to keep.
   */
  private async writeVolumes(
    pod: Pod,
    c: Container,
    dir: string,
  ): Promise<{
    mounts: { source: string; target: string }[];
    empties: { source: string; target: string }[];
    volumes: MountedVolume[];
    tokens: ProjectedTokenVolume[];
  }> {
    const mounts: { source: string; target: string }[] = [];
    const empties: { source: string; target: string }[] = [];
    const volumes: MountedVolume[] = [];
    const tokens: ProjectedTokenVolume[] = [];
    const namespace = pod.metadata.namespace;
    for (const m of c.volumeMounts ?? []) {
      const v = pod.spec.volumes?.find((x) => x.name === m.name);
      if (v?.projected) {
        const token = await this.writeProjected(pod, m.name, v.projected, resolve(join(dir, "volumes", m.name)));
        tokens.push(token);
        mounts.push({ source: token.dir, target: m.mountPath });
        continue;
      }
      if (v?.emptyDir) {
        // An empty folder of this run (a restarted container gets a new one; a real emptyDir outlives it),
        // mounted after every other volume: one at /tmp would hide their sources.
        const empty = resolve(join(dir, "volumes", m.name));
        mkdirSync(empty, { recursive: true });
        empties.push({ source: empty, target: m.mountPath });
        continue;
      }
      const source = objectVolumeSource(v);
      if (!source) continue;
      const volume: MountedVolume = {
        kind: source.kind,
        name: source.name,
        namespace,
        dir: resolve(join(dir, "volumes", m.name)),
        written: "",
        items: source.items,
        defaultMode: source.defaultMode ?? 0o644,
        optional: source.optional ?? false,
      };
      const path = `/api/v1/namespaces/${namespace}/${source.kind === "Secret" ? "secrets" : "configmaps"}/${source.name}`;
      const o = await this.cluster.apiJson<VolumeObject>("GET", path).catch((err: unknown) => {
        if (volume.optional) return { metadata: { name: source.name } };
        throw new StartError("ContainerCreating", `MountVolume.SetUp failed for volume "${m.name}": ${String(err)}`);
      });
      this.writeVolume(volume, o);
      volumes.push(volume);
      mounts.push({ source: volume.dir, target: m.mountPath });
    }
    return { mounts, empties, volumes, tokens };
  }

  /** Writes a projected volume's service-account tokens into `dir` (kubelet-projected.ts). */
  private async writeProjected(
    pod: Pod,
    volume: string,
    source: ProjectedVolumeSource,
    dir: string,
  ): Promise<ProjectedTokenVolume> {
    const problem = projectedVolumeProblem(volume, source);
    if (problem) throw new StartError("ContainerCreating", problem);
    const { namespace, name, uid } = pod.metadata;
    const serviceAccountName = pod.spec.serviceAccountName ?? "default";
    const token = new ProjectedTokenVolume(this.cluster, { namespace, name, uid, serviceAccountName }, source, dir);
    await token.write().catch((err: unknown) => {
      throw new StartError("ContainerCreating", `MountVolume.SetUp failed for volume "${volume}": ${String(err)}`);
    });
    return token;
  }

  /** The value of a fieldRef the kubelet resolves. */
  private fieldValue(pod: Pod, field: string, sandbox: PodSandbox): string | undefined {
    const values: Record<string, string> = {
      "metadata.name": pod.metadata.name,
      "metadata.namespace": pod.metadata.namespace,
      "metadata.uid": pod.metadata.uid,
      "spec.nodeName": SIMULATED_NODE,
      "spec.serviceAccountName": pod.spec.serviceAccountName ?? "default",
      "status.podIP": sandbox.ip,
      "status.hostIP": this.cluster.nodeAddress,
    };
    return values[field];
  }

  /** The container's environment, with fieldRefs resolved, and KUBECONFIG for its ServiceAccount. */
  private async containerEnv(pod: Pod, c: Container, dir: string, sandbox: PodSandbox): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, EGTS_CACHE: process.env.EGTS_CACHE };
    for (const e of c.env ?? []) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      const secretKey = e.valueFrom?.secretKeyRef;
      if (secretKey) {
        const value = await this.secretValue(pod.metadata.namespace, secretKey);
        if (value !== undefined) env[e.name] = value;
      } else env[e.name] = field ? this.fieldValue(pod, field, sandbox) : e.value;
    }
    const sa = pod.spec.serviceAccountName;
    if (sa && pod.spec.automountServiceAccountToken !== false) {
      const request_ = {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      };
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`;
      const token = (await this.cluster.apiJson<{ status: { token: string } }>("POST", path, request_)).status.token;
      const kubeconfig = join(dir, "kubeconfig");
      writeFileSync(kubeconfig, this.cluster.tokenKubeconfig(token));
      env.KUBECONFIG = kubeconfig;
    }
    return env;
  }

  /**
   * An env var's `secretKeyRef` value: the key of a Secret of the pod's namespace, decoded; undefined for an
   * `optional` one that is missing; otherwise a missing Secret or key fails the start, as the kubelet's
   * CreateContainerConfigError.
   */
  private async secretValue(
    namespace: string,
    ref: { name: string; key: string; optional?: boolean },
  ): Promise<string | undefined> {
    const path = `/api/v1/namespaces/${namespace}/secrets/${ref.name}`;
    const secret = await this.cluster.apiJson<VolumeObject>("GET", path).catch(() => undefined);
    const data = secret?.data?.[ref.key];
    if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
    if (ref.optional) return undefined;
    const what = secret ? `key "${ref.key}" of secret "${ref.name}"` : `secret "${ref.name}"`;
    throw new StartError("CreateContainerConfigError", `${what} not found`);
  }

  /**
   * The readinessProbe (httpGet: 200; tcpSocket: a connection) on the pod's address; a container without one
   * is ready once started.
   */
  private async probe(pod: Pod, r: Running): Promise<boolean> {
    for (const sidecar of r.sidecars) if (!(await this.probeContainer(sidecar.spec, r))) return false;
    return this.probeContainer(pod.spec.containers[0], r);
  }

  /** One container's readinessProbe (true without one). */
  private async probeContainer(c: Container | undefined, r: Running): Promise<boolean> {
    const probe = c?.readinessProbe;
    const target = probe?.httpGet ?? probe?.tcpSocket;
    if (!target) return true;
    const port = probePort(c, target.port);
    if (!port) return false;
    const host = r.sandbox.ip;
    if (!probe?.httpGet) return tcpProbe(host, port);
    const path = probe.httpGet.path ?? "/";
    return new Promise((resolve_) => {
      const req = request({ host, port, path, timeout: 1000 }, (res) => {
        res.resume();
        resolve_(res.statusCode === 200);
      });
      req.on("error", () => resolve_(false));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  }

  /** Reports a container that cannot start (its image or volume), as the kubelet's waiting state. */
  private async reportWaiting(pod: Pod, reason: string, message: string): Promise<void> {
    const status = {
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      })),
    };
    await this.patchStatus(pod, status);
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
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
    await this.cluster.apiJson("PATCH", path, { status }, "application/merge-patch+json");
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

  private async reportReady(pod: Pod, r: Running): Promise<void> {
    const restarts = r.restarts;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const cond = (type: string): object => ({ type, status: "True", lastTransitionTime: now });
    const podIP = r.sandbox.ip;
    const status = {
      phase: "Running",
      podIP,
      podIPs: [{ ip: podIP }],
      hostIP: this.cluster.nodeAddress,
      hostIPs: [{ ip: this.cluster.nodeAddress }],
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

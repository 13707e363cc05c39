/**
 * The controller as its own process: the real `egts controller` command (bin/egts.js, what the Helm chart runs)
 * against the harness's API server, so that its CPU, RSS and heap are the controller's alone (the bench's
 * process also runs the harness's kubelet, kube-proxy and DNS simulations and the bench's clients).
 *
 * It runs with `--expose-gc` and controller-preload.ts, which reports each pass and runs a full GC on request
 * (over `fork`'s IPC channel). RSS and its peak come from /proc/<pid>/status (VmRSS, VmHWM), CPU from
 * /proc/<pid>/stat, the heap used from the controller's `process.memoryUsage()` right after the GC (what its
 * `nodejs_heap_size_used_bytes` reports; scraping /metrics timed out under churn on the loaded machine).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { httpGet, freePort } from "../../test/support/http";

/** The repository root (compiled: dist/bench/k8s). */
const REPO = resolve(__dirname, "../../..");
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** One memory reading of the controller process. */
export interface ControllerMemory {
  /** VmRSS (MiB). */
  readonly rssMB: number;
  /** VmHWM: the peak RSS so far (MiB). */
  readonly hwmMB: number;
  /** Heap used after a full GC (MiB). */
  readonly heapUsedMB: number;
}

/** What a controller pass reported. */
export interface PassEvent {
  /** Translate + publish (ms). */
  readonly ms: number;
}

/** Options of {@link ControllerProcess.start}. */
export interface ControllerProcessOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  /** Address the proxies reach the xDS server on (the node address). */
  readonly host: string;
  /** Extra node flags (e.g. --heapsnapshot-signal=SIGUSR2). */
  readonly execArgv?: readonly string[];
  /** Each line the controller writes to stderr. */
  readonly log: (line: string) => void;
}

const mib = (kb: number): number => kb / 1024;

/** A running `egts controller`; {@link ControllerProcess.start} makes one. */
export class ControllerProcess {
  private passListeners: ((p: PassEvent) => void)[] = [];
  private gcWaiters: ((heapUsed: number) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    /** The controller's metrics port. */
    readonly metricsPort: number,
    /** The controller's working folder (its configuration; heap snapshots land here). */
    readonly cwd: string,
  ) {
    child.on("message", (m: { type: string; ms?: number; memory?: NodeJS.MemoryUsage }) => {
      if (m.type === "pass") for (const l of this.passListeners) l({ ms: m.ms ?? 0 });
      if (m.type === "gc-done") this.gcWaiters.shift()?.(m.memory?.heapUsed ?? NaN);
    });
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Forks the controller and resolves once it started (listed, elected, serving xDS). */
  static async start(o: ControllerProcessOptions): Promise<ControllerProcess> {
    const [xds, metrics, health, wasm, rateLimit] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const dir = mkdtempSync(join(tmpdir(), "egts-bench-controller-"));
    const config = join(dir, "envoy-gateway.yaml");
    // Admin on any port (19000 may be taken); warn logs only; short Lease timings as the in-process tests'.
    writeFileSync(
      config,
      [
        "apiVersion: gateway.envoyproxy.io/v1alpha1",
        "kind: EnvoyGateway",
        "provider:",
        "  type: Kubernetes",
        "  kubernetes:",
        "    leaderElection: { leaseDuration: 4s, renewDeadline: 3s, retryPeriod: 1s }",
        "admin: { address: { host: 127.0.0.1, port: 0 } }",
        "logging: { level: { default: warn } }",
        "",
      ].join("\n"),
    );
    const args = [
      "controller",
      `--kubeconfig=${o.kubeconfig}`,
      `--namespace=${o.namespace}`,
      `--config-path=${config}`,
      `--xds-listen=${o.host}:${xds}`,
      `--xds-address=${o.host}:${xds}`,
      "--xds-tls-secret=",
      "--insecure-xds",
      `--ratelimit-xds-listen=127.0.0.1:${rateLimit}`,
      `--metrics-port=${metrics}`,
      `--health-probe-port=${health}`,
      `--wasm-listen=127.0.0.1:${wasm}`,
      `--wasm-cache-dir=${join(dir, "wasm")}`,
    ];
    const preload = join(__dirname, "controller-preload.js");
    const child = fork(join(REPO, "bin", "egts.js"), args, {
      cwd: dir,
      execArgv: ["--expose-gc", "--require", preload, ...(o.execArgv ?? [])],
      env: { ...process.env, ENVOY_GATEWAY_NAMESPACE: o.namespace },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let buffered = "";
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) o.log(line);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const p = new ControllerProcess(child, metrics, dir);
    await new Promise<void>((ok, fail) => {
      const onExit = (code: number | null): void =>
        fail(new Error(`egts controller exited (${code}) before it started`));
      child.once("exit", onExit);
      child.on("message", (m: { type: string }) => {
        if (m.type !== "started") return;
        child.off("exit", onExit);
        ok();
      });
    });
    return p;
  }

  /** Calls `fn` after each pass the controller finished. */
  onPass(fn: (p: PassEvent) => void): void {
    this.passListeners.push(fn);
  }

  /** User + system CPU of the process so far (ms), from /proc/<pid>/stat. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3; utime, stime are fields 14, 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) / USER_HZ) * 1000;
  }

  /** VmRSS and VmHWM (MiB) from /proc/<pid>/status. */
  rss(): { rssMB: number; hwmMB: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMB: mib(kb("VmRSS")), hwmMB: mib(kb("VmHWM")) };
  }

  /** Asks the controller for a full GC; resolves with the heap used right after it (bytes). */
  gc(): Promise<number> {
    return new Promise((ok) => {
      this.gcWaiters.push(ok);
      this.child.send({ type: "gc" });
    });
  }

  /** A metric's value from the controller's /metrics (the first series of the family). */
  async metric(name: string): Promise<number> {
    const r = await httpGet(this.metricsPort, "127.0.0.1", "/metrics");
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(r.body);
    if (!m) throw new Error(`the controller's /metrics has no ${name}`);
    return Number(m[1]);
  }

  /** RSS, its peak, and the heap used after a full GC. */
  async memory(): Promise<ControllerMemory> {
    const heap = await this.gc();
    return { ...this.rss(), heapUsedMB: heap / (1024 * 1024) };
  }

  /** Sends `signal` to the controller (e.g. the --heapsnapshot-signal). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((ok) => this.child.once("exit", ok));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

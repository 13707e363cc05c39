/**
 * The host runner (standalone mode): one Envoy process per Gateway on this machine, each with a bootstrap
 * pointing at our xDS server. Crashed proxies are restarted with exponential backoff; a proxy stopped or replaced
 * is drained first (infra/shutdown/admin-drain.ts, as the Kubernetes preStop); stop() leaves no process behind,
 * and where util-linux `setpriv` exists each Envoy also dies with its parent.
 *
 * Each Envoy gets its own dynamic modules folder as ENVOY_DYNAMIC_MODULES_SEARCH_PATH (Envoy 1.36 loads a module
 * by name, `lib<name>.so`, from there only), holding a link `lib<name>.so` → path for each local dynamic module of
 * its EnvoyProxy; the links follow the infra IR without a restart (Envoy opens the file when a config loads it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Subject, type Observable } from "rxjs";
import type { ProxyInfraIr } from "../../ir/infra-ir";
import {
  issueProxyCertificate,
  needsReissue,
  proxyTlsFiles,
  readCertificateAuthority,
  writeProxyCertDir,
} from "../../certgen/certgen";
import {
  buildBootstrap,
  STATS_PATH,
  statsCompressionOf,
  statsMatchesOf,
  xdsSdsFiles,
  type XdsTlsFiles,
} from "../bootstrap";
import { proxyBootstrap, withLastGoodBootstrap } from "../bootstrap-custom";
import { metricSinksOf } from "../bootstrap-metric-sinks";
import { proxyArgs } from "../proxy-args";
import { drainProxy, type DrainOutcome } from "../shutdown/admin-drain";
import { canBind, freePort } from "./free-port";
import { statsListenerAddress } from "./stats-port";
import { childEnv, DYNAMIC_MODULES_SEARCH_PATH } from "../../config/env";

/** Host runner settings. */
/** Where an Envoy process's output goes: inherited, dropped, or each stdout line to a function. */
export type EnvoyOutput = "inherit" | "ignore" | ((line: string) => void);

export interface HostRunnerOptions {
  /** Envoy binary. */
  readonly envoyBin: string;
  /** Our xDS server. */
  readonly xdsHost: string;
  /** Our xDS server port. */
  readonly xdsPort: number;
  /** Folder for bootstraps and admin address files. */
  readonly stateDir: string;
  /** Envoy log level. @default "warn" */
  readonly logLevel?: string;
  /** Worker threads per Envoy. @default 1 */
  readonly concurrency?: number;
  /**
   * Where Envoy's own output goes; a function receives each line Envoy writes to stdout (the access log)
   * and its stderr is dropped. @default "inherit" (our stdout and stderr)
   */
  readonly envoyOutput?: EnvoyOutput;
  /** First restart delay; doubles up to 5 s. @default 200 */
  readonly restartBackoffMs?: number;
  /**
   * mTLS to the xDS server: a certificate folder from `egts certgen --local` whose CA issues each Envoy its
   * own client certificate, naming its node id. @default plaintext
   */
  readonly xdsCerts?: { readonly certDir: string; readonly serverName?: string };
  /** How often certificates are checked for re-issue (CA changed, a third of the lifetime left). @default 60000 */
  readonly certCheckMs?: number;
  /**
   * Port of the proxies' Prometheus stats listener (`GET /stats/prometheus` only, on {@link statsHost}), as in
   * Kubernetes: the first proxy that finds it free binds it; the others (one host, one port) bind any free port,
   * as Envoy Gateway's host mode does for every proxy. Each proxy's address is in {@link HostRunner.statsUrl} and
   * its `started` event. @default 19001
   */
  readonly statsPort?: number;
  /** Address the stats listeners bind. @default 127.0.0.1 */
  readonly statsHost?: string;
  /**
   * Drain before stopping or replacing a proxy (infra/shutdown/admin-drain.ts): at most the EnvoyProxy's
   * `shutdown.drainTimeout`, else this many seconds; at least its `shutdown.minDrainDuration`, else none (no
   * load balancer to deprogram here). 0: no drain, SIGTERM at once. @default 1 (the default `--drain-time-s`)
   */
  readonly drainTimeoutSeconds?: number;
}

/** Something that happened to a proxy process. */
export interface ProxyEvent {
  /**
   * started, serving (its admin and stats addresses are known), exited (unexpectedly), drained (before a stop;
   * detail says how), stopped (by us).
   */
  readonly kind: "started" | "serving" | "exited" | "drained" | "stopped";
  /** Gateway `namespace/name`. */
  readonly name: string;
  /** Process id. */
  readonly pid?: number;
  /** Exit code or signal, for exits. */
  readonly detail?: string;
  /** When serving: the admin interface's URL (loopback only). */
  readonly admin?: string;
  /** When serving: the Prometheus stats URL; absent when its EnvoyProxy disables it. */
  readonly stats?: string;
}

interface Proxy {
  ir: ProxyInfraIr;
  readonly id: number;
  child?: ChildProcess;
  restarts: number;
  stopping: boolean;
  timer?: NodeJS.Timeout;
  startedAt: number;
  /** The stats listener's port this process was started with (0: any), absent when disabled. */
  statsPort?: number;
  /** The runtime settings the process was started with (a change restarts it). */
  runtimeKey: string;
  /** The last customised bootstrap this proxy started with (kept when a later one is refused). */
  lastBootstrap?: Record<string, unknown>;
}

/**
 * `ir`, but with a refused EnvoyProxy `bootstrap` replaced by the one `running` was started with (none: egts's),
 * so the process keeps serving and is not restarted for it.
 */
function keptBootstrap(ir: ProxyInfraIr, running: Proxy | undefined): ProxyInfraIr {
  if (ir.runtime?.bootstrapRefused === undefined) return ir;
  const runtime = withLastGoodBootstrap(ir.runtime, running?.ir.runtime?.bootstrap);
  const { runtime: _refused, ...rest } = ir;
  return runtime ? { ...rest, runtime } : rest;
}

/** What of a proxy's IR needs a new process when it changes: the command line and the bootstrap. */
function runtimeKey(ir: ProxyInfraIr): string {
  return JSON.stringify(ir.runtime ?? {});
}

/** Longest name part of a state file, before the hash suffix. */
const MAX_BASE_CHARS = 100;

/**
 * The path of a proxy's state file in `stateDir`: `<safe base>-<id>.<what>`. A base that is not made of
 * letters, digits, `.`, `_` and `-` only, starts with `.`, or is longer than 100 characters is reduced to
 * those characters and suffixed with a hash of the original (so distinct names stay distinct); the
 * resolved path is checked to be directly inside `stateDir`.
 */
export function stateFile(stateDir: string, base: string, id: number, what: string): string {
  const safe = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(base) && base.length <= MAX_BASE_CHARS;
  const name = safe
    ? base
    : `${base
        .replace(/[^A-Za-z0-9._-]+/g, "_")
        .replace(/^\.+/, "_")
        .slice(0, MAX_BASE_CHARS)}~${createHash("sha256").update(base).digest("hex").slice(0, 12)}`;
  const path = join(stateDir, `${name}-${id}.${what.replace(/[^A-Za-z0-9._-]/g, "_")}`);
  if (dirname(resolve(path)) !== resolve(stateDir))
    throw new Error(`state file ${JSON.stringify(path)} is outside ${stateDir}`);
  return path;
}

/** The host runner's drain time when the EnvoyProxy sets none (short: a developer's Ctrl-C waits for it). */
const DEFAULT_DRAIN_SECONDS = 1;

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** Runs Envoy processes for the Gateways of the infra IR. */
export class HostRunner {
  private readonly proxies = new Map<string, Proxy>();
  private readonly events = new Subject<ProxyEvent>();
  private nextId = 0;
  private certTimer?: NodeJS.Timeout;
  private certWatcher?: FSWatcher;
  private certDebounce?: NodeJS.Timeout;
  /** Process lifecycle events. */
  readonly events$: Observable<ProxyEvent> = this.events.asObservable();

  /** Creates a runner; with `xdsCerts`, proxy certificates are checked every `certCheckMs`. */
  constructor(private readonly opts: HostRunnerOptions) {
    if (opts.xdsCerts) {
      this.certTimer = setInterval(() => this.refreshCertificates(), opts.certCheckMs ?? 60_000);
      this.certTimer.unref();
      // `egts certgen --local DIR` re-run: re-issue from the new CA at once (debounced: it writes 4 files).
      this.certWatcher = watch(opts.xdsCerts.certDir, () => {
        clearTimeout(this.certDebounce);
        this.certDebounce = setTimeout(() => this.refreshCertificates(), 200);
      });
      this.certWatcher.on("error", () => undefined);
    }
  }

  /**
   * Re-issues the client certificate of every proxy whose certificate needs it (the CA in the certificate
   * folder changed, or less than a third of its lifetime is left). Running Envoys pick the new files up
   * themselves (file-based SDS), without a restart. Errors are reported as events, never thrown.
   */
  refreshCertificates(): void {
    for (const p of this.proxies.values()) {
      try {
        this.ensureCertificate(p);
      } catch (err) {
        this.events.next({ kind: "exited", name: p.ir.name, detail: `certificate: ${(err as Error).message}` });
      }
    }
  }

  /** Starts proxies for new Gateways and stops those of removed ones; existing ones are left alone. */
  async reconcile(infra: readonly ProxyInfraIr[]): Promise<void> {
    const want = new Map(infra.map((p) => [p.name, p]));
    for (const [name, p] of this.proxies) if (!want.has(name)) await this.stopProxy(p);
    for (const [name, wanted] of want) {
      const running = this.proxies.get(name);
      const ir = keptBootstrap(wanted, running);
      if (running && running.runtimeKey === runtimeKey(ir)) {
        running.ir = ir;
        await this.linkDynamicModules(running);
        continue;
      }
      // New, or its EnvoyProxy changed how Envoy runs (command line, bootstrap): a fresh process.
      if (running) await this.stopProxy(running);
      const p: Proxy = {
        ir,
        id: this.nextId++,
        restarts: 0,
        stopping: false,
        startedAt: 0,
        runtimeKey: runtimeKey(ir),
        ...(running?.lastBootstrap ? { lastBootstrap: running.lastBootstrap } : {}),
      };
      this.proxies.set(name, p);
      await this.start(p);
    }
  }

  /** Names and pids of running proxies. */
  list(): { name: string; pid?: number; restarts: number }[] {
    return [...this.proxies.values()].map((p) => ({ name: p.ir.name, pid: p.child?.pid, restarts: p.restarts }));
  }

  /** The admin URL of a proxy, once Envoy has written it. */
  async adminUrl(name: string, timeoutMs = 10_000, stopping?: Proxy): Promise<string> {
    const p = stopping ?? this.proxies.get(name);
    if (!p) throw new Error(`no proxy for ${name}`);
    const file = this.file(p, "admin-address");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const addr = (await readFile(file, "utf8")).trim();
        if (addr) return `http://${addr}`;
      } catch {
        // not written yet
      }
      if (Date.now() > deadline) throw new Error(`Envoy for ${name} did not write its admin address to ${file}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * The Prometheus stats URL of a proxy (`http://host:port/stats/prometheus`), read from its admin interface's
   * listener list once Envoy has bound it; undefined when its EnvoyProxy disables Prometheus.
   */
  async statsUrl(name: string, timeoutMs = 10_000): Promise<string | undefined> {
    const p = this.proxies.get(name);
    if (!p) throw new Error(`no proxy for ${name}`);
    if (p.statsPort === undefined) return undefined;
    const admin = await this.adminUrl(name, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const bound = await statsListenerAddress(admin).catch(() => undefined);
      if (bound) return `http://${bound}${STATS_PATH}`;
      if (Date.now() > deadline) throw new Error(`Envoy for ${name} did not bind its stats listener`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops every proxy: drains it, then SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    clearInterval(this.certTimer);
    clearTimeout(this.certDebounce);
    this.certWatcher?.close();
    await Promise.all([...this.proxies.values()].map((p) => this.stopProxy(p, graceMs)));
    this.events.complete();
  }

  private file(p: Proxy, what: string): string {
    return stateFile(this.opts.stateDir, p.ir.gatewayClass ?? `${p.ir.namespace}-${p.ir.gatewayName}`, p.id, what);
  }

  /** The proxy's own client certificate folder, (re-)issued from the CA when needed; undefined in plaintext. */
  private ensureCertificate(p: Proxy): XdsTlsFiles | undefined {
    const certs = this.opts.xdsCerts;
    if (!certs) return undefined;
    const dir = this.file(p, "xds-certs");
    const ca = readCertificateAuthority(certs.certDir);
    const current = existsSync(join(dir, "tls.crt")) ? readFileSync(join(dir, "tls.crt"), "utf8") : undefined;
    const currentCa = existsSync(join(dir, "ca.crt")) ? readFileSync(join(dir, "ca.crt"), "utf8") : undefined;
    const files: XdsTlsFiles = { ...proxyTlsFiles(dir, certs.serverName), sdsDir: dir };
    if (currentCa !== ca.cert || needsReissue(current, ca.cert, p.ir.name)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeProxyCertDir(dir, ca.cert, issueProxyCertificate(ca, p.ir.name));
      for (const [name, text] of Object.entries(xdsSdsFiles(files))) {
        if (!existsSync(join(dir, name))) writeFileSync(join(dir, name), text);
      }
    }
    return files;
  }

  /** The proxy's dynamic modules folder (its ENVOY_DYNAMIC_MODULES_SEARCH_PATH). */
  dynamicModulesDir(name: string): string | undefined {
    const p = this.proxies.get(name);
    return p ? this.file(p, "dynamic-modules") : undefined;
  }

  /** Makes the proxy's dynamic modules folder hold exactly a link `lib<name>.so` → path per module of its IR. */
  private async linkDynamicModules(p: Proxy): Promise<void> {
    const dir = this.file(p, "dynamic-modules");
    await mkdir(dir, { recursive: true });
    const want = new Map((p.ir.dynamicModules ?? []).map((m) => [`lib${m.name}.so`, m.path]));
    for (const entry of await readdir(dir)) {
      const target = await readlink(join(dir, entry)).catch(() => undefined);
      if (want.get(entry) === target) want.delete(entry);
      else await rm(join(dir, entry), { force: true });
    }
    for (const [link, path] of want) await symlink(path, join(dir, link));
  }

  private async start(p: Proxy): Promise<void> {
    await mkdir(this.opts.stateDir, { recursive: true });
    await this.linkDynamicModules(p);
    const xdsTls = this.ensureCertificate(p);
    const config = this.file(p, "bootstrap.json");
    const adminFile = this.file(p, "admin-address");
    await rm(adminFile, { force: true });
    const runtime = p.ir.runtime;
    p.statsPort = runtime?.prometheusDisabled === true ? undefined : await this.pickStatsPort(p);
    const bootstrap = buildBootstrap({
      nodeId: p.ir.name,
      xdsHost: this.opts.xdsHost,
      xdsPort: this.opts.xdsPort,
      // The stats listener forwards to admin, so admin needs a port known before Envoy starts.
      adminPort: p.statsPort !== undefined ? await freePort() : 0,
      ...(p.statsPort !== undefined ? { statsPort: p.statsPort, statsHost: this.opts.statsHost ?? "127.0.0.1" } : {}),
      ...(xdsTls ? { xdsTls } : {}),
      ...statsMatchesOf(runtime),
      ...statsCompressionOf(runtime),
      ...metricSinksOf(runtime),
    });
    await writeFile(config, JSON.stringify(this.customized(p, bootstrap), null, 2));
    const base = ["-c", config, "--use-dynamic-base-id", "--admin-address-path", adminFile];
    const args = proxyArgs(base, runtime, {
      logLevel: this.opts.logLevel ?? "warn",
      concurrency: this.opts.concurrency ?? 1,
      drainTimeSeconds: this.opts.drainTimeoutSeconds ?? DEFAULT_DRAIN_SECONDS,
    });
    const [cmd, argv] = SETPRIV
      ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", this.opts.envoyBin, ...args]]
      : [this.opts.envoyBin, args];
    const out = this.opts.envoyOutput ?? "inherit";
    const child = spawn(cmd, argv, {
      env: childEnv({ [DYNAMIC_MODULES_SEARCH_PATH]: this.file(p, "dynamic-modules") }),
      stdio: typeof out === "function" ? ["ignore", "pipe", "ignore"] : ["ignore", out, out],
    });
    if (typeof out === "function" && child.stdout) createInterface({ input: child.stdout }).on("line", out);
    p.child = child;
    p.startedAt = Date.now();
    this.events.next({ kind: "started", name: p.ir.name, pid: child.pid });
    void this.announce(p, child);
    child.on("exit", (code, signal) => this.onExit(p, child, code, signal));
    child.on("error", (err) => this.events.next({ kind: "exited", name: p.ir.name, detail: err.message }));
  }

  /**
   * The proxy's bootstrap with its EnvoyProxy `bootstrap` laid over `base`. One the edge refuses (its xDS cluster
   * no longer reaches this control plane) is reported as an `exited` event with the reason, and the proxy starts
   * with the last one it used, or `base` when it has none.
   */
  private customized(p: Proxy, base: Record<string, unknown>): Record<string, unknown> {
    const r = proxyBootstrap(base, p.ir.runtime);
    if ("bootstrap" in r) {
      p.lastBootstrap = r.bootstrap;
      return r.bootstrap;
    }
    this.events.next({ kind: "exited", name: p.ir.name, detail: `bootstrap refused, not used: ${r.problem}` });
    return p.lastBootstrap ?? base;
  }

  /**
   * The stats port a starting (or restarting) proxy binds: the configured one when no other proxy of ours holds
   * it and nothing else listens on it, else 0 (any free port).
   */
  private async pickStatsPort(p: Proxy): Promise<number> {
    const wanted = this.opts.statsPort ?? 19001;
    const taken = [...this.proxies.values()].some((o) => o !== p && o.statsPort === wanted);
    return !taken && (await canBind(wanted)) ? wanted : 0;
  }

  /** Reports a started proxy's admin and stats addresses once Envoy has them (nothing if it exits first). */
  private async announce(p: Proxy, child: ChildProcess): Promise<void> {
    try {
      const admin = await this.adminUrl(p.ir.name);
      const stats = await this.statsUrl(p.ir.name);
      if (p.child !== child) return;
      this.events.next({ kind: "serving", name: p.ir.name, pid: child.pid, admin, ...(stats ? { stats } : {}) });
    } catch {
      // exited or stopped before it bound them: its exit is reported
    }
  }

  private onExit(p: Proxy, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (p.child !== child) return;
    p.child = undefined;
    if (p.stopping) return;
    const detail = signal ? `signal ${signal}` : `code ${code}`;
    this.events.next({ kind: "exited", name: p.ir.name, pid: child.pid, detail });
    // A proxy that ran for a while gets a fresh backoff.
    if (Date.now() - p.startedAt > 30_000) p.restarts = 0;
    const delay = Math.min(5000, (this.opts.restartBackoffMs ?? 200) * 2 ** p.restarts);
    p.restarts++;
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (!p.stopping)
        void this.start(p).catch((err: Error) =>
          this.events.next({ kind: "exited", name: p.ir.name, detail: err.message }),
        );
    }, delay);
  }

  private async stopProxy(p: Proxy, graceMs = 3000): Promise<void> {
    p.stopping = true;
    clearTimeout(p.timer);
    this.proxies.delete(p.ir.name);
    const child = p.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      await this.drain(p, exited);
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.events.next({ kind: "stopped", name: p.ir.name, pid: child?.pid });
  }

  /**
   * Drains a proxy before its SIGTERM, as the Kubernetes preStop does: health checks failed (every connection
   * closed after its current request), until no Gateway connection is left or the drain timeout; over early if
   * the process exits, skipped if Envoy never wrote its admin address.
   */
  private async drain(p: Proxy, exited: Promise<void>): Promise<void> {
    const timeoutSeconds = p.ir.runtime?.drainTimeSeconds ?? this.opts.drainTimeoutSeconds ?? DEFAULT_DRAIN_SECONDS;
    if (timeoutSeconds <= 0) return;
    const admin = await this.adminUrl(p.ir.name, 0, p).catch(() => undefined);
    if (!admin) return;
    const drained = drainProxy({
      adminUrl: admin,
      drainTimeoutMs: timeoutSeconds * 1000,
      minDrainMs: (p.ir.runtime?.minDrainSeconds ?? 0) * 1000,
      healthCheckFailureDelayMs: p.ir.runtime?.healthCheckFailureDelayMs ?? 0,
      ownPorts: p.statsPort !== undefined ? [p.statsPort] : [],
      pollMs: 100,
      // A hung Envoy (its admin silent) is not waited for: stop() stays quick.
      adminTimeoutMs: 300,
      stopWhenAdminFails: true,
    });
    const outcome = await Promise.race([drained, exited.then(() => undefined)]);
    if (outcome) this.events.next({ kind: "drained", name: p.ir.name, pid: p.child?.pid, detail: describe(outcome) });
  }
}

/** A drain's outcome in words, for the `drained` event. */
function describe(o: DrainOutcome): string {
  const left = o.connections ?? "unknown";
  const what = { drained: "drained", timeout: "drain timeout", "admin-failed": "admin did not answer" }[o.result];
  return `${what} after ${o.elapsedMs} ms, ${left} connections left`;
}

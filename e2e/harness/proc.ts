/**
 * Child processes of the harness that cannot outlive the test process: each runs in its own process group
 * (stop() signals the whole group), under util-linux `setpriv --pdeathsig SIGKILL` where it exists (as
 * operator/src/infra/host/host-runner.ts runs Envoy), so the kernel kills it if the test process dies
 * however it dies, and an `exit` hook kills what is still running when Node exits normally.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** Every running process started here, for the exit/signal hooks. */
const live = new Set<ManagedProcess>();
/** Extra synchronous cleanups (temp dirs) run by the exit/signal hooks. */
const cleanups = new Set<() => void>();
let hooksInstalled = false;

function killGroupSync(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function emergencyCleanup(): void {
  for (const p of live) if (p.pid !== undefined) killGroupSync(p.pid, "SIGKILL");
  live.clear();
  for (const c of cleanups) {
    try {
      c();
    } catch {
      // Best effort while exiting.
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  emergencyCleanup();
  uninstallHooks();
  // Nobody else handles it: die of the signal as if we had not been listening.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const onSigint = (): void => onSignal("SIGINT");
const onSigterm = (): void => onSignal("SIGTERM");

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", emergencyCleanup);
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off("exit", emergencyCleanup);
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
}

function maybeUninstallHooks(): void {
  if (live.size === 0 && cleanups.size === 0) uninstallHooks();
}

/** Registers a synchronous cleanup (e.g. removing a temp dir) to run if the process exits or is signalled. */
export function registerCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  installHooks();
  return () => {
    cleanups.delete(fn);
    maybeUninstallHooks();
  };
}

/** How to start a process. */
export interface StartOptions {
  /** Name for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Output (stdout and stderr) is appended to this file. */
  readonly logFile: string;
  /** Also copy the output to our stderr. */
  readonly echo?: boolean;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with every chunk of output (stdout and stderr), e.g. to timestamp it. */
  readonly onOutput?: (chunk: Buffer) => void;
}

/** A started process group. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDetail: string | undefined;

  constructor(opts: StartOptions) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    const [cmd, argv] = SETPRIV
      ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", opts.command, ...opts.args]]
      : [opts.command, [...opts.args]];
    // detached: a new session and process group, so the whole group can be signalled.
    this.child = spawn(cmd, argv, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      cwd: opts.cwd,
      env: opts.env,
    });
    const log = createWriteStream(opts.logFile, { flags: "a" });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.pipe(log, { end: false });
      if (opts.echo) stream?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
      if (opts.onOutput) stream?.on("data", opts.onOutput);
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exitDetail = signal ? `signal ${signal}` : `code ${code}`;
        live.delete(this);
        maybeUninstallHooks();
        resolve();
      });
      this.child.once("error", (err) => {
        this.exitDetail = err.message;
        live.delete(this);
        maybeUninstallHooks();
        resolve();
      });
    });
    // The log ends once the output pipes close, not at exit: a process the child started may still hold
    // them and write (a write after end threw in the conformance runner after a whole passing run).
    this.child.once("close", () => log.end());
    log.on("error", (err) => process.stderr.write(`${this.name}: log ${this.logFile}: ${err.message}\n`));
    live.add(this);
    installHooks();
  }

  /** Process id (also the process group id). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether it is still running. */
  get running(): boolean {
    return this.exitDetail === undefined;
  }

  /** How it exited ("code 1", "signal SIGKILL"), or undefined while it runs. */
  get exit(): string | undefined {
    return this.exitDetail;
  }

  /** The last `lines` lines of its output. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 5000): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.running) {
      killGroupSync(pid, "SIGTERM");
      const timer = setTimeout(() => killGroupSync(pid, "SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/**
 * How the simulated kubelet stops a container of a pod being deleted, in the kubelet's order
 * (pkg/kubelet/kuberuntime killContainer): the pod's grace period is `metadata.deletionGracePeriodSeconds`
 * (else `spec.terminationGracePeriodSeconds`, else 30 s); every container is stopped at the same time; each
 * first runs its preStop hook (exec: the command in the container's network and mount namespaces, with its
 * environment; httpGet: a GET on the pod's address), which may take the grace period; then the container
 * gets SIGTERM and, after what is left of the grace period but at least 2 s, SIGKILL.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import type { ManagedProcess } from "./proc";

/** A container's `lifecycle.preStop` (the handlers the harness runs). */
export interface PreStopHook {
  readonly exec?: { readonly command?: readonly string[] };
  readonly httpGet?: { readonly path?: string; readonly port: number | string; readonly host?: string };
}

/** A running container the kubelet stops. */
export interface StoppingContainer {
  readonly name: string;
  readonly process: ManagedProcess;
  /** Its environment (for an exec hook). */
  readonly env: NodeJS.ProcessEnv;
  readonly preStop?: PreStopHook;
  /** Port names of the container, for an httpGet hook naming one. */
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  /** Where the hook's output and outcome go (the container's log). */
  readonly log: (line: string) => void;
}

/** The kubelet's least time between a preStop hook's end and SIGKILL (minimumGracePeriodInSeconds). */
export const MIN_GRACE_AFTER_HOOK_MS = 2000;
/** The grace period when the pod names none (the API's default). */
export const DEFAULT_GRACE_SECONDS = 30;

/** The grace period (s) of a pod being deleted. */
export function podGraceSeconds(pod: {
  metadata: { deletionGracePeriodSeconds?: number };
  spec: { terminationGracePeriodSeconds?: number };
}): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** Runs an exec hook in the container's namespaces (`nsenter --target <pid>`); resolves with its exit code. */
function execHook(c: StoppingContainer, argv: readonly string[], timeoutMs: number): Promise<number | null> {
  const pid = c.process.pid;
  if (pid === undefined || argv.length === 0) return Promise.resolve(null);
  return new Promise((resolve_) => {
    const child = spawn("nsenter", ["--target", String(pid), "--net", "--mount", "--", ...argv], {
      env: c.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    for (const s of [child.stdout, child.stderr]) {
      s.on("data", (d: Buffer) =>
        d
          .toString()
          .split("\n")
          .filter(Boolean)
          .forEach((l) => c.log(l)),
      );
    }
    child.on("error", (err) => c.log(`preStop exec: ${err.message}`));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve_(code);
    });
  });
}

/** Runs an httpGet hook against the pod's address; resolves with the status (undefined: no answer). */
function httpHook(
  podIp: string,
  port: number,
  hook: NonNullable<PreStopHook["httpGet"]>,
  timeoutMs: number,
): Promise<number | undefined> {
  return new Promise((resolve_) => {
    const req = request({ host: hook.host ?? podIp, port, path: hook.path ?? "/", timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve_(res.statusCode));
    });
    req.on("error", () => resolve_(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Runs the container's preStop hook (if any) within `deadline`; reports a failed hook in its log, as an event. */
export async function runPreStop(c: StoppingContainer, podIp: string, deadline: number): Promise<void> {
  const hook = c.preStop;
  const left = Math.max(0, deadline - Date.now());
  if (!hook || left === 0 || !c.process.running) return;
  if (hook.exec?.command) {
    const code = await execHook(c, hook.exec.command, left);
    if (code !== 0) c.log(`FailedPreStopHook: exec ${JSON.stringify(hook.exec.command)} exited with ${code}`);
    return;
  }
  if (hook.httpGet) {
    const p = hook.httpGet.port;
    const port = typeof p === "number" ? p : c.ports?.find((x) => x.name === p)?.containerPort;
    if (port === undefined) return c.log(`FailedPreStopHook: httpGet port ${String(p)} is not a container port`);
    const status = await httpHook(podIp, port, hook.httpGet, left);
    if (status === undefined || status >= 400) c.log(`FailedPreStopHook: httpGet ${hook.httpGet.path}: ${status}`);
  }
}

/** Stops a container the kubelet's way: preStop, SIGTERM, SIGKILL after the rest of the grace period (≥ 2 s). */
export async function stopContainer(c: StoppingContainer, podIp: string, deadline: number): Promise<void> {
  await runPreStop(c, podIp, deadline);
  await c.process.stop(Math.max(MIN_GRACE_AFTER_HOOK_MS, deadline - Date.now()));
}

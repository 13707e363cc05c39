/**
 * Real `kubectl port-forward` against a harness cluster, run as a process for the length of a test:
 * `startKubectlPortForward(cluster, ["-n", ns, "pod/p", "18000:19000"])` resolves once kubectl printed
 * `Forwarding from 127.0.0.1:<local>`, i.e. its listener is up (the SPDY session itself is opened on the
 * first connection). kubectl tunnels SPDY in a WebSocket by default; `{ spdyOnly: true }` sets
 * `KUBECTL_PORT_FORWARD_WEBSOCKETS=false`, so it upgrades to SPDY itself.
 */
import { join } from "node:path";
import type { KubeCluster } from "./cluster";
import { ManagedProcess } from "./proc";

/** A running `kubectl port-forward`. */
export interface KubectlPortForward {
  /** Everything kubectl printed so far (stdout and stderr). */
  output(): string;
  /** Whether kubectl still runs (it exits when the forward is lost). */
  readonly running: boolean;
  /** Resolves once kubectl has exited (after `timeoutMs`, rejects naming its output). */
  exited(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

let started = 0;

/** Starts `kubectl port-forward <args>` as admin; rejects with kubectl's output when it does not come up in 30 s. */
export async function startKubectlPortForward(
  cluster: KubeCluster,
  args: readonly string[],
  opts: { readonly spdyOnly?: boolean } = {},
): Promise<KubectlPortForward> {
  let text = "";
  started += 1;
  const proc = new ManagedProcess({
    name: "kubectl port-forward",
    command: cluster.tools.kubectl,
    args: ["--kubeconfig", cluster.kubeconfig, "port-forward", ...args],
    logFile: join(cluster.dir, `kubectl-port-forward-${started}.log`),
    env: { ...cluster.toolEnv(), ...(opts.spdyOnly ? { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" } : {}) },
    onOutput: (chunk) => (text += chunk.toString()),
  });
  const waitFor = async (done: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`kubectl port-forward ${args.join(" ")}: ${what}; output:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor(() => /Forwarding from/.test(text) || !proc.running, 30_000, "no listener in 30 s");
    if (!proc.running) throw new Error(`kubectl port-forward ${args.join(" ")} exited (${proc.exit}):\n${text}`);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    output: () => text,
    get running() {
      return proc.running;
    },
    exited: (timeoutMs) => waitFor(() => !proc.running, timeoutMs, `still running after ${timeoutMs} ms`),
    stop: () => proc.stop(),
  };
}

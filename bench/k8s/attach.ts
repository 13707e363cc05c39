/**
 * Scenario a (gateway-api-bench "attach"): create N HTTPRoutes on the one Gateway, as fast as the API server
 * takes them, and time from the first create until the Gateway's listener reports `attachedRoutes` = N; then
 * wait for the controller to settle and count the status writes the API server received meanwhile (its own
 * apiserver_request_total, every client, 409s included). The objects that changed are the N routes and the
 * Gateway: the target is at most one write each.
 */
import type { Stack } from "./stack";

/** What the attach scenario measured. */
export interface AttachResult {
  readonly routes: number;
  /** First create → last create answered. */
  readonly createMs: number;
  /** First create → `attachedRoutes` = N (read by polling the Gateway every 10 ms). */
  readonly attachMs: number;
  /** Status writes received by the API server until the controller settled. */
  readonly statusWrites: number;
  /** Of which answered 409 Conflict. */
  readonly statusConflicts: number;
  /** Objects whose status had to change: N routes + the Gateway. */
  readonly changedObjects: number;
  /** Controller passes from the first create until settled. */
  readonly passes: number;
  /** Controller CPU (this process) from the first create until settled, user + system. */
  readonly cpuMs: number;
}

/** Runs scenario a with routes `from` .. `from + n - 1` (the Gateway had `from` attached before). */
export async function attach(stack: Stack, from: number, n: number): Promise<AttachResult> {
  await stack.waitQuiet(2000);
  const before = await stack.statusWrites();
  const passes0 = stack.passes;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const created = stack.createRoutes(from, from + n).then(() => performance.now());
  const attached = stack.waitAttached(from + n, 900_000);
  const [tCreated, tAttached] = await Promise.all([created, attached]);
  await stack.waitQuiet(3000);
  const cpu = process.cpuUsage(cpu0);
  const after = await stack.statusWrites();
  return {
    routes: n,
    createMs: tCreated - t0,
    attachMs: tAttached - t0,
    statusWrites: after.total - before.total,
    statusConflicts: after.conflicts - before.conflicts,
    changedObjects: n + 1,
    passes: stack.passes - passes0,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

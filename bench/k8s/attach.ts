/**
 * Scenario a (gateway-api-bench "attached routes"): create N HTTPRoutes on the one Gateway, as fast as the API
 * server takes them, and time until a watch of the Gateway delivers its listener's `attachedRoutes` = N. The
 * time that counts is gateway-api-bench's "setup time": from the last create answered (its `ready`, the
 * simulation having created every route) until that update arrived; the API server's part before it (taking
 * the creates) is reported apart. Then, once the controller settled, the status writes the API server received
 * meanwhile (its own apiserver_request_total, every client, 409s included): the objects that changed are the
 * N routes and the Gateway, the target is at most one write each; and the Gateway's updates the watch saw
 * (gateway-api-bench's "total writes").
 */
import { epochNow } from "./client-worker";
import { GatewayWatch } from "./gateway-watch";
import type { Stack } from "./stack";

/** A controller pass that ended after the last create answered. */
export interface LatePass {
  /** When it ended, after the last create answered (ms). */
  readonly endMs: number;
  /** Its translate + publish time (ms); the rest of its time went to status writes and infra. */
  readonly ms: number;
}

/** What the attach scenario measured. */
export interface AttachResult {
  readonly routes: number;
  /** First create → last create answered: the API server's part. */
  readonly createMs: number;
  /**
   * Last create answered → the watch delivered `attachedRoutes` = N: the controller's part, gateway-api-bench's
   * "setup time" (the target's definition).
   */
  readonly controllerMs: number;
  /** First create → `attachedRoutes` = N. */
  readonly attachMs: number;
  /** Status writes received by the API server until the controller settled. */
  readonly statusWrites: number;
  /** Of which the Gateway's (accepted ones). */
  readonly gatewayStatusWrites: number;
  /** The Gateway's updates the watch delivered from the first create until settled (gateway-api-bench's "total writes"). */
  readonly gatewayUpdates: number;
  /** The distinct attachedRoutes values those updates carried. */
  readonly attachedValues: number;
  /** Of which answered 409 Conflict. */
  readonly statusConflicts: number;
  /** Objects whose status had to change: N routes + the Gateway. */
  readonly changedObjects: number;
  /** The passes that ended between the last create answered and attachedRoutes = N (and the one after). */
  readonly latePasses: readonly LatePass[];
  /** Controller passes from the first create until settled. */
  readonly passes: number;
  /** Controller process CPU from the first create until settled, user + system. */
  readonly cpuMs: number;
}

/** Runs scenario a with routes `from` .. `from + n - 1` (the Gateway had `from` attached before). */
export async function attach(stack: Stack, from: number, n: number): Promise<AttachResult> {
  await stack.waitQuiet(2000);
  const watch = new GatewayWatch(stack.client, "default", "bench");
  try {
    await watch.ready;
    const before = await stack.statusWrites();
    const passes0 = stack.passes;
    const cpu0 = stack.controller.cpuMs();
    const t0 = performance.now();
    let createdAt = Infinity;
    const created = stack.createRoutes(from, from + n).then(() => {
      createdAt = epochNow();
      return performance.now();
    });
    const attached = watch.until(from + n, 900_000);
    const [tCreated, tAttached] = await Promise.all([created, attached]);
    const attachedAt = epochNow();
    await stack.waitQuiet(3000);
    // The passes up to attachedRoutes = N, and the first one after (it ends after the status write it made).
    const after = stack.passLog.filter((p) => p.at >= createdAt);
    const upTo = after.findIndex((p) => p.at > attachedAt);
    const late = (upTo < 0 ? after : after.slice(0, upTo + 1)).map((p) => ({ endMs: p.at - createdAt, ms: p.ms }));
    const cpuMs = stack.controller.cpuMs() - cpu0;
    const writes = await stack.statusWrites();
    const seen = watch.since(t0);
    return {
      routes: n,
      createMs: tCreated - t0,
      controllerMs: tAttached - tCreated,
      attachMs: tAttached - t0,
      statusWrites: writes.total - before.total,
      statusConflicts: writes.conflicts - before.conflicts,
      gatewayStatusWrites: writes.gateways - before.gateways,
      gatewayUpdates: seen.updates,
      attachedValues: seen.values,
      latePasses: late,
      changedObjects: n + 1,
      passes: stack.passes - passes0,
      cpuMs,
    };
  } finally {
    watch.close();
  }
}

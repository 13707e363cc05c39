/**
 * Scenario c (gateway-api-bench "route change under load"): K routes carry a BackendTrafficPolicy and a
 * SecurityPolicy (bench/lib/fixtures.ts routePolicyObjects); `concurrency` clients send GETs to them round
 * robin through Envoy for the whole run while one of them is changed (its header filter value: a new
 * generation, a new translation, a new RouteConfiguration) every `everyMs`. Every answer should be 2xx.
 */
import { routeHost, routeName, routePolicyObjects } from "../lib/fixtures";
import type { Stack } from "./stack";

/** What the route-change scenario measured. */
export interface RouteChangeResult {
  readonly seconds: number;
  readonly requests: number;
  /** Answers that were not 2xx (socket errors count as status 0). */
  readonly non2xx: number;
  /** Count per status of the non-2xx answers. */
  readonly byStatus: Record<string, number>;
  /** Route changes applied. */
  readonly changes: number;
  /** The longest a change started after its slot (ms): the API server's answer time under load. */
  readonly maxLateMs: number;
}

/** Attaches the policies to routes 0..k-1 and waits until Envoy serves them with the policies. */
export async function attachPolicies(stack: Stack, k: number): Promise<void> {
  const names = Array.from({ length: k }, (_, i) => routeName(i));
  await stack.create(routePolicyObjects(names), 1);
  await stack.waitQuiet(2000);
}

/**
 * Runs scenario c over routes 0..k-1 for `seconds`: the load and the changes both from the client thread
 * (client-worker.ts), so neither waits for the controller's passes in this thread.
 */
export async function routeChange(
  stack: Stack,
  k: number,
  seconds: number,
  opts: { readonly everyMs?: number; readonly concurrency?: number } = {},
): Promise<RouteChangeResult> {
  const hosts = Array.from({ length: k }, (_, i) => routeHost(i));
  const routes = Array.from({ length: k }, (_, i) => i);
  const [{ requests, byStatus }, { changes, maxLateMs }] = await Promise.all([
    stack.clients.load(hosts, seconds, opts.concurrency ?? 4),
    stack.clients.change(routes, seconds, opts.everyMs ?? 200),
  ]);
  const non2xx = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return { seconds, requests, non2xx, byStatus, changes, maxLateMs };
}

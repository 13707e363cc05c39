/**
 * Helpers of the BackendTrafficPolicy traffic tests: the policy YAML, its status, and waiting until Envoy's
 * routes use the cluster a policy's settings make (admin config_dump), so a test never measures the old config.
 */
import * as assert from "node:assert/strict";
import { routeConfigDump } from "./envoy";
import { eventually } from "./http";
import type { TestGateway } from "./standalone";

/** A status condition as tests read it. */
export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** BackendTrafficPolicy `default/<name>` on HTTPRoute `route`; `specYaml` holds the other spec fields, indented by two spaces. */
export function btpYaml(name: string, route: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${route} }]
${specYaml.replace(/\n?$/, "\n")}`;
}

/** The conditions of BackendTrafficPolicy `default/<name>` for its first ancestor. */
export function btpConditions(t: TestGateway, name: string): Condition[] {
  const s = t.gw.statuses.get("BackendTrafficPolicy", "default", name)?.status as
    { ancestors?: { conditions: Condition[] }[] } | undefined;
  return s?.ancestors?.[0]?.conditions ?? [];
}

/** The clusters the routes of Gateway default/eg's Envoy forward to (admin config_dump), sorted. */
export async function routeClusters(t: TestGateway): Promise<string[]> {
  const admin = await t.gw.runner?.adminUrl("default/eg");
  assert.ok(admin, "the Envoy of default/eg has an admin address");
  const dump = (await routeConfigDump(admin)).replace(/\s/g, "");
  const names = [...dump.matchAll(/"(?:cluster|name)":"((?:service|backend)\/[^"]+)"/g)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

/**
 * Writes `yaml` as `file` and waits until Envoy's routes forward to a policy variant (`/btp-`) they did not use
 * before (a policy whose settings changed gets a new variant name); returns the variants now used.
 */
export async function applyPolicy(t: TestGateway, file: string, yaml: string): Promise<string[]> {
  const before = new Set(await routeClusters(t));
  await t.write(file, yaml);
  let now: string[] = [];
  await eventually(
    async () => {
      now = (await routeClusters(t)).filter((c) => c.includes("/btp-"));
      return now.some((c) => !before.has(c));
    },
    15_000,
    `Envoy's routes to use a new policy variant (before: ${[...before].join(", ")})`,
  );
  return now;
}

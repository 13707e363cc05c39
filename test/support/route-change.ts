/** Route-layout tests: what the xDS server sends for one route change. */
import { filter, firstValueFrom, takeUntil, timer, toArray } from "rxjs";
import type { XdsEvent } from "../../operator/src/xds/server/types";
import { eventually, httpGet } from "./http";
import { routeYaml } from "./manifests";
import type { TestGateway } from "./standalone";

/**
 * Rewrites `file` so that route `name` for `host` (Backend `backend`) only matches `/changed`, waits until Envoy
 * answers 404 for `/other` on that host, and returns every `sent` event of `node` in the 5 s after the write.
 */
export async function sentForPathChange(
  t: TestGateway,
  port: number,
  node: string,
  route: { file: string; name: string; host: string; backend: string },
): Promise<XdsEvent[]> {
  const sent = firstValueFrom(
    t.gw.server.events$.pipe(
      filter((e) => e.kind === "sent" && e.nodeId === node),
      takeUntil(timer(5_000)),
      toArray(),
    ),
  );
  await t.write(route.file, routeYaml(route.name, route.host, route.backend, { path: "/changed" }));
  await eventually(async () => (await httpGet(port, route.host, "/other")).status === 404, 15_000, "the changed route");
  return sent;
}

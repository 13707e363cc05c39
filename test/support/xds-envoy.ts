/**
 * Serves a hand-built set of xDS resources to one real Envoy (our delta ADS server, our host runner) and
 * reports Envoy's verdict: for tests that have Envoy check configs the translator does not produce yet.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, scan, timeout } from "rxjs";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { HostRunner } from "../../operator/src/infra/host/host-runner";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { XdsServer, type XdsEvent } from "../../operator/src/xds/server";
import { TypeUrl } from "../../operator/src/xds/types";
import { requireEnvoy } from "./envoy";

/** Resources by type URL, then name (types left out are served empty). */
export type Resources = Partial<Record<keyof typeof TypeUrl, ReadonlyMap<string, Any>>>;

/** One Envoy fed by our xDS server. */
export interface XdsEnvoy {
  /** Envoy's admin URL. */
  readonly admin: string;
  /** Stops Envoy and the server, removes the state folder. */
  close(): Promise<void>;
}

/**
 * Starts the server and Envoy (node `nodeId`) with `resources`, and resolves once Envoy ACKed every type in
 * `waitFor`; rejects with Envoy's error on the first NACK, or after 30 s.
 */
export async function serveToEnvoy(
  nodeId: string,
  resources: Resources,
  waitFor: readonly (keyof typeof TypeUrl)[],
): Promise<XdsEnvoy> {
  const stateDir = await mkdtemp(join(tmpdir(), "egts-xds-envoy-"));
  const cache = new XdsCache();
  const server = new XdsServer(cache, { logger: () => undefined });
  let runner: HostRunner | undefined;
  const close = async (): Promise<void> => {
    await runner?.stop();
    await server.stop(0);
    cache.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const port = await server.start("127.0.0.1:0");
    const watched = new Set<string>(waitFor.map((k) => TypeUrl[k]));
    const verdict = firstValueFrom(
      server.events$.pipe(
        filter((e: XdsEvent) => e.kind === "nack" || (e.kind === "ack" && watched.has(e.typeUrl ?? ""))),
        scan((seen: XdsEvent[], e) => [...seen, e], []),
        filter(
          (seen) => seen.some((e) => e.kind === "nack") || new Set(seen.map((e) => e.typeUrl)).size === watched.size,
        ),
        timeout(30_000),
      ),
    );
    const all = Object.keys(TypeUrl) as (keyof typeof TypeUrl)[];
    cache.setNode(nodeId, new Map(all.map((k) => [TypeUrl[k], new Map(resources[k] ?? [])])));
    runner = new HostRunner({
      envoyBin: requireEnvoy(),
      xdsHost: "127.0.0.1",
      xdsPort: port,
      stateDir,
      envoyOutput: "ignore",
    });
    await runner.reconcile([{ name: nodeId, namespace: "", gatewayName: nodeId, ports: [] }]);
    const nack = (await verdict).find((e) => e.kind === "nack");
    if (nack) throw new Error(`Envoy NACKed ${nack.typeUrl}: ${nack.error ?? ""}`);
    return { admin: await runner.adminUrl(nodeId), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The port Envoy bound for a listener configured with port 0. */
export async function boundPort(admin: string, listener: string): Promise<number> {
  const body = (await (await fetch(`${admin}/listeners?format=json`)).json()) as {
    listener_statuses?: { name: string; local_address: { socket_address: { port_value: number } } }[];
  };
  const l = body.listener_statuses?.find((s) => s.name === listener);
  if (!l) throw new Error(`Envoy does not list ${listener}: ${JSON.stringify(body)}`);
  return l.local_address.socket_address.port_value;
}

/**
 * What the API server serves of a kind whose collection answered 404: API discovery (`/apis/<group>` and
 * `/apis/<group>/<version>`, readable by every authenticated user) lists the versions of the group that
 * serve the kind's resource. An old Gateway API install (e.g. TLSRoute served only as v1alpha2) then gets
 * one clear warning and a GatewayClass condition instead of a watch that silently finds nothing.
 */
import { HttpMethod } from "./http-method";
import type { Logger } from "../../log";
import type { UnservedKind } from "../../resources/snapshot";
import { KubeApiError, type KubeClient } from "./client";
import { apiVersionOf, type WatchedKind } from "./kinds";

interface ApiGroup {
  readonly versions?: readonly { readonly version: string }[];
}
interface ApiResourceList {
  readonly resources?: readonly { readonly name: string }[];
}

/** The versions of `kind.group` that serve `kind.plural` ([] when the group or the resource is not installed). */
export async function servedVersions(
  client: KubeClient,
  kind: Pick<WatchedKind, "group" | "plural">,
): Promise<string[]> {
  let group: ApiGroup;
  try {
    group = await client.request<ApiGroup>(HttpMethod.GET, `/apis/${kind.group}`);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return [];
    throw err;
  }
  const served: string[] = [];
  for (const { version } of group.versions ?? []) {
    const list = await client.request<ApiResourceList>(HttpMethod.GET, `/apis/${kind.group}/${version}`);
    if ((list.resources ?? []).some((r) => r.name === kind.plural)) served.push(version);
  }
  return served;
}

/**
 * A check to run when `kind`'s collection answers 404: finds the served versions, logs once per change
 * (a warning naming the kind, the version egts reads and the versions served; info when the CRD is simply
 * not installed) and returns the kind as unserved when its CRD serves only other versions.
 */
export function absenceCheck(
  client: KubeClient,
  kind: WatchedKind,
  log: Logger,
): () => Promise<UnservedKind | undefined> {
  let logged: string | undefined;
  return async () => {
    const served = await servedVersions(client, kind).catch(() => undefined);
    if (served === undefined || served.includes(kind.version)) return undefined; // unknown, or a race with an install
    const reads = apiVersionOf(kind);
    if (served.join(",") !== logged) {
      logged = served.join(",");
      if (served.length === 0)
        log("info", `${kind.kind} is not installed (no ${kind.plural}.${kind.group} CRD); not read`, {
          kind: kind.kind,
        });
      else
        log(
          "warn",
          `${kind.kind} is served only as ${served.map((v) => `${kind.group}/${v}`).join(", ")}; egts reads ${reads}: upgrade the Gateway API CRDs; ${kind.kind}s are not read until then`,
          { kind: kind.kind, reads, served },
        );
    }
    return served.length === 0 ? undefined : { kind: kind.kind, apiVersion: reads, served };
  };
}

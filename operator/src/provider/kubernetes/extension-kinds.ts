/**
 * The kinds extension servers own (EnvoyGateway `extensionManager(s)` `resources`, `backendResources`,
 * `policyResources`) as watched kinds: their REST plural and scope come from API discovery
 * (`/apis/<group>/<version>`), so any CRD can be watched without egts knowing it. A kind the API server does not
 * serve yet is watched under the conventional plural (lowercase kind + "s") as optional (404 = empty, listed again
 * later), with a warning naming it.
 */
import { HttpMethod } from "@kubernetes/client-node";
import type { ExtensionKind } from "../../config/envoy-gateway-extension";
import type { Logger } from "../../log";
import { describeError, type KubeClient } from "./client";
import type { WatchedKind } from "./kinds";

interface ApiResourceList {
  readonly resources?: readonly { readonly name: string; readonly kind: string; readonly namespaced: boolean }[];
}

/** The watched kinds of `kinds`, resolved through discovery. */
export async function extensionWatchedKinds(
  client: KubeClient,
  kinds: readonly ExtensionKind[],
  log: Logger,
): Promise<WatchedKind[]> {
  return Promise.all(
    kinds.map(async (k): Promise<WatchedKind> => {
      const path = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
      try {
        const list = await client.request<ApiResourceList>(HttpMethod.GET, path);
        const r = (list.resources ?? []).find((x) => x.kind === k.kind && !x.name.includes("/"));
        if (r) return { ...k, plural: r.name, namespaced: r.namespaced, optional: true };
        log("warn", `extension kind ${k.kind}.${k.group}/${k.version} is not served; watching it once its CRD appears`);
      } catch (err) {
        log("warn", `extension kind ${k.kind}.${k.group}/${k.version}: discovery failed; watching it once served`, {
          error: describeError(err),
        });
      }
      return { ...k, plural: `${k.kind.toLowerCase()}s`, namespaced: true, optional: true };
    }),
  );
}

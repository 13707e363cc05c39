/**
 * The kinds extension servers own (EnvoyGateway `extensionManager(s)` `resources`, `backendResources`,
 * `policyResources`) as watched kinds: their REST plural and scope come from API discovery
 * (`/apis/<group>/<version>`), so any CRD can be watched without egts knowing it. A kind the API server does not
 * serve yet is watched under the conventional plural (lowercase kind + "s") as optional (404 = empty, listed again
 * later), with a warning naming it. Discovery also tells whether a kind serves a status subresource (extension
 * policies get their status written there); a served kind without one is noted once.
 */
import { HttpMethod } from "./http-method";
import type { ExtensionKind } from "../../config/envoy-gateway-extension";
import type { Logger } from "../../log";
import { describeError, type KubeClient } from "./client";
import type { WatchedKind } from "./kinds";

interface ApiResourceList {
  readonly resources?: readonly { readonly name: string; readonly kind: string; readonly namespaced: boolean }[];
}

/** A watched extension kind; `statusSubresource` false when discovery shows the kind has none. */
export type ExtensionWatchedKind = WatchedKind & { readonly statusSubresource?: boolean };

/** The watched kinds of `kinds`, resolved through discovery. */
export async function extensionWatchedKinds(
  client: KubeClient,
  kinds: readonly ExtensionKind[],
  log: Logger,
): Promise<ExtensionWatchedKind[]> {
  return Promise.all(
    kinds.map(async (k): Promise<ExtensionWatchedKind> => {
      const path = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
      try {
        const list = await client.request<ApiResourceList>(HttpMethod.GET, path);
        const r = (list.resources ?? []).find((x) => x.kind === k.kind && !x.name.includes("/"));
        if (r) {
          const statusSubresource = (list.resources ?? []).some((x) => x.name === `${r.name}/status`);
          return { ...k, plural: r.name, namespaced: r.namespaced, optional: true, statusSubresource };
        }
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

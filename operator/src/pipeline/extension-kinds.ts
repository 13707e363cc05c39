/**
 * What translation needs to know about the kinds the extension servers own, apart from the extension stage
 * (extension-stage.ts) so that offline translation does not load the gRPC client to compute it.
 */
import type { ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import type { TranslateOptions } from "../translate/translate";

/** The TranslateOptions of the servers: the kinds they own (ExtensionRef filters, backendRefs, policies). */
export function extensionKindsOption(
  managers: readonly ExtensionManagerConfig[] | undefined,
): Pick<TranslateOptions, "extensionKinds"> {
  if (!managers || managers.length === 0) return {};
  return {
    extensionKinds: {
      filters: managers.flatMap((m) => m.resources),
      backends: managers.flatMap((m) => m.backendResources),
      policies: managers.flatMap((m) => m.policyResources),
    },
  };
}

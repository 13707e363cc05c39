/**
 * An ExtensionRef filter naming an object of a kind the extension server owns (`extensionManager.resources`):
 * nothing is built for it here; the object goes, as JSON, to the extension server's Route hook for the rule's
 * routes (the rule's RouteIr.extensionRefs).
 */
import type { LocalObjectReference } from "../../resources/gateway-api";
import type { ExtensionObjects } from "../extension-objects";
import type { FilterContext, FilterError } from "./types";

/**
 * The object's JSON, an error when the kind is the extension's but the object is missing (Envoy Gateway's
 * message), or undefined when the kind is not the extension's (another compiler's business).
 */
export function compileExtensionRef(
  ref: LocalObjectReference,
  ctx: FilterContext,
  extensions: ExtensionObjects | undefined,
): string | FilterError | undefined {
  if (!extensions?.isFilterKind(ref.group, ref.kind)) return undefined;
  const json = extensions.find(ref.group, ref.kind, ctx.namespace ?? "default", ref.name);
  if (json !== undefined) return json;
  return {
    error: `${ctx.where}: Reference ${ctx.namespace ?? "default"}/${ref.name} not found for filter type: ${ref.kind}`,
  };
}

/**
 * EnvoyExtensionPolicy `dynamicModule`: each entry a filter from a dynamic module (a shared library Envoy loads),
 * which must be allowed by name in the Gateway's EnvoyProxy `dynamicModules` list, as in Envoy Gateway v1.9.
 *
 * egts writes Envoy 1.37.0's API (proto/, ADR 0007 and 0032), whose DynamicModuleConfig loads a module by name only:
 * `lib<name>.so` from the directory in Envoy's ENVOY_DYNAMIC_MODULES_SEARCH_PATH environment variable (the `module`
 * data source Envoy Gateway sends came with Envoy 1.38). So egts sends the allowlist entry's name, and the
 * standalone host runner gives each Envoy a directory where `lib<name>.so` links to the entry's local path (infra
 * IR `dynamicModules`). A `Remote` source is refused with that reason ({@link REMOTE_MODULE_UNSUPPORTED}). A module
 * whose file is missing or does not load is not seen here (the translator reads no files): Envoy refuses the
 * listener update (a NACK) and the NACK bisection (pipeline/nack-bisect.ts) leaves the route out with Envoy's error
 * on its status.
 *
 * `terminalFilter: true` is refused ({@link TERMINAL_FILTER_UNSUPPORTED}). Any error fails the policy's routes closed
 * (Envoy Gateway's rule for dynamic modules).
 */
import type { DynamicModuleIr } from "../../ir/extension-ir";
import type { DynamicModule } from "../../resources/envoy-extension-policy";
import type { DynamicModuleEntry } from "../../resources/envoy-proxy";
import type { ExtensionContext } from "./extension-context";
import { extensionIrName } from "./extension-context";

/**
 * Why a Remote source is refused: Envoy Gateway v1.9.1 sends the URL and sha256 as DynamicModuleConfig's `module`
 * data source (field 6), which Envoy 1.38 added. The Envoy egts runs (1.40.0) takes it, but egts's xDS types are
 * generated from Envoy 1.37.0's API, which has no such field; until they are regenerated, a module loads by name
 * from the search path only.
 */
export const REMOTE_MODULE_UNSUPPORTED =
  "remote module sources are not implemented by egts yet: it writes Envoy 1.37.0's DynamicModuleConfig, which has " +
  "no `module` data source (the field Envoy Gateway v1.9.1 sends the URL and sha256 in), so modules load by name " +
  "from ENVOY_DYNAMIC_MODULES_SEARCH_PATH only: use a Local source";

/**
 * Why `terminalFilter: true` is refused: Envoy 1.36 then requires the filter to be the last HTTP filter, and the
 * router always follows it (Envoy Gateway's order), so Envoy would refuse the whole listener.
 */
export const TERMINAL_FILTER_UNSUPPORTED =
  'terminalFilter: Envoy refuses a terminal filter that is not the last HTTP filter ("must be the last filter in ' +
  'a http filter chain"), and the router always follows the dynamic modules filter: not supported by egts';

/** The `dynamicModule` list → the filters, or undefined with the problems (without `DynamicModule: `). */
export function translateDynamicModules(
  list: readonly DynamicModule[] | undefined,
  ctx: ExtensionContext,
  problems: string[],
): readonly DynamicModuleIr[] | undefined {
  if (!list || list.length === 0) return undefined;
  const irName = extensionIrName(ctx.ownerOf("dynamicModule"));
  const registry = new Map(ctx.dynamicModules.map((e) => [e.name, e]));
  const out: DynamicModuleIr[] = [];
  const before = problems.length;
  for (const [i, dm] of list.entries()) {
    const entry = registry.get(dm.name);
    if (!entry) {
      problems.push(
        `dynamic module ${JSON.stringify(dm.name)} is not registered in the EnvoyProxy dynamicModules allowlist`,
      );
      continue;
    }
    const problem = dm.terminalFilter === true ? TERMINAL_FILTER_UNSUPPORTED : sourceProblem(entry);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const config = dm.config === undefined || dm.config === null ? undefined : JSON.stringify(dm.config);
    out.push({
      name: `${irName}/dynamic-module/${i}`,
      module: entry.name,
      filterName: dm.filterName ?? "",
      ...(config !== undefined ? { config } : {}),
      terminalFilter: dm.terminalFilter === true,
      doNotClose: entry.doNotClose === true,
      loadGlobally: entry.loadGlobally === true,
    });
  }
  return problems.length > before ? undefined : out;
}

/** Why the allowlist entry's source cannot be loaded (Envoy Gateway's messages, then Envoy 1.36's limit). */
export function sourceProblem(entry: DynamicModuleEntry): string | undefined {
  const q = JSON.stringify(entry.name);
  const type = entry.source?.type ?? "Local";
  if (type === "Remote") {
    const r = entry.source?.remote;
    if (!r) return `dynamic module ${q} has no remote source configured`;
    if (!r.url) return `dynamic module ${q} has no remote source URL configured`;
    if (!r.sha256) return `dynamic module ${q} has no remote source SHA256 configured`;
    const bad = remoteUrlProblem(r.url);
    if (bad) return `dynamic module ${q} has invalid remote source URL ${JSON.stringify(r.url)}: ${bad}`;
    return `dynamic module ${q}: ${REMOTE_MODULE_UNSUPPORTED}`;
  }
  if (type !== "Local") return `dynamic module ${q} has unsupported source type ${JSON.stringify(type)}`;
  const path = entry.source?.local?.path;
  if (path === undefined) return `dynamic module ${q} has no local source configured`;
  if (!path.startsWith("/")) return `dynamic module ${q}: local path ${JSON.stringify(path)} must be absolute`;
  return undefined;
}

/** Envoy Gateway's check of a remote source URL. */
function remoteUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `parse ${JSON.stringify(url)}: invalid URI for request`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    return `unsupported URL scheme ${JSON.stringify(u.protocol.slice(0, -1))}`;
  if (u.hostname === "") return "URL must include a hostname";
  return undefined;
}

/**
 * EnvoyExtensionPolicy `lua`: each script, inline or from a ConfigMap of the owning policy's namespace, checked
 * before anything reaches Envoy. Envoy refuses a whole listener whose Lua does not compile (a NACK), so a script
 * must define `envoy_on_request` or `envoy_on_response` and parse as LuaJIT (Envoy 1.36's Lua) — checked with
 * luaparse, which agrees with Envoy's LuaJIT on the grammar differences that matter (goto, LuaJIT number
 * literals; no Lua 5.3 operators). How much is checked is the Gateway's EnvoyProxy `luaValidation`, as in Envoy
 * Gateway: `Strict` (the default) and `InsecureSyntax` parse the script; `Disabled` only looks for a handler, so
 * the script reaches Envoy as written. Envoy Gateway's Strict also runs the script in a mocked sandbox; egts has no
 * Lua VM, so Strict is InsecureSyntax here, and a script that parses but fails when run answers 500 at request time.
 * Lua is off unless the EnvoyGateway configuration enables it (`extensionApis.enableLua`), as in Envoy Gateway.
 */
import { luaparsePackage } from "../../optional-packages";
import type { LuaIr } from "../../ir/extension-ir";
import type { Lua } from "../../resources/envoy-extension-policy";
import type { EnvoyProxy, LuaValidation } from "../../resources/envoy-proxy";
import type { ExtensionContext } from "./extension-context";
import { extensionIrName } from "./extension-context";

const LUA_VALIDATIONS: readonly string[] = ["Strict", "InsecureSyntax", "Disabled"] satisfies LuaValidation[];

/** Why an EnvoyProxy's `luaValidation` cannot be used (empty when it can, or is unset). */
export function luaValidationProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const value = spec?.luaValidation;
  if (value === undefined || LUA_VALIDATIONS.includes(value)) return [];
  return [`spec.luaValidation (${JSON.stringify(value)}) must be one of ${LUA_VALIDATIONS.join(", ")}`];
}

/** The handlers Envoy's Lua filter calls; a script must define at least one. */
const HANDLERS = ["envoy_on_request", "envoy_on_response"] as const;

/** The `lua` list → the scripts, or undefined with the problems (without the `Lua: ` prefix) in `problems`. */
export function translateLua(
  list: readonly Lua[] | undefined,
  ctx: ExtensionContext,
  problems: string[],
): readonly LuaIr[] | undefined {
  if (!list || list.length === 0) return undefined;
  if (ctx.gates.enableLua !== true) {
    problems.push("Skipping Lua EnvoyExtensionPolicy as feature is disabled in the Gateway");
    return undefined;
  }
  const owner = ctx.ownerOf("lua");
  const out: LuaIr[] = [];
  const before = problems.length;
  for (const [i, entry] of list.entries()) {
    const name = `${extensionIrName(owner)}/lua/${i}`;
    const code = luaCode(entry, owner.namespace, ctx, problems);
    if (code === undefined) continue;
    const invalid = luaProblem(code, name, ctx.luaValidation);
    if (invalid) {
      problems.push(invalid);
      continue;
    }
    const context = filterContextOf(entry.filterContext, i, problems);
    out.push({ name, code, ...(context ? { filterContext: context } : {}) });
  }
  return problems.length > before ? undefined : out;
}

/** The script of one entry (inline, or the ConfigMap's `lua` key, else its first key), or undefined. */
function luaCode(entry: Lua, namespace: string, ctx: ExtensionContext, problems: string[]): string | undefined {
  const type = entry.type ?? "Inline";
  const inline = type === "Inline" && typeof entry.inline === "string" && entry.valueRef === undefined;
  const valueRef = type === "ValueRef" && entry.valueRef !== undefined && entry.inline === undefined;
  if (inline) return entry.inline;
  if (!valueRef || !entry.valueRef) {
    problems.push("Exactly one of inline or valueRef must be set with correct type.");
    return undefined;
  }
  return configMapCode(entry.valueRef, namespace, ctx, problems);
}

/** The script a ConfigMap reference names, with Envoy Gateway's messages when it cannot be read. */
function configMapCode(
  ref: NonNullable<Lua["valueRef"]>,
  namespace: string,
  ctx: ExtensionContext,
  problems: string[],
): string | undefined {
  if (ref.kind !== "ConfigMap" || !(ref.group === "" || ref.group === "v1" || ref.group === undefined)) {
    problems.push("Only a reference to an object of kind ConfigMap belonging to default v1 API group is supported.");
    return undefined;
  }
  const cm = ctx.refs.configMap(`${namespace}/${ref.name}`);
  if (!cm) {
    problems.push(`can't find the referenced configmap ${ref.name} in namespace ${namespace}`);
    return undefined;
  }
  const data = cm.data ?? {};
  const code = data.lua ?? Object.values(data)[0];
  if (typeof code !== "string") {
    problems.push(`can't find the key lua in the referenced configmap ${ref.name}`);
    return undefined;
  }
  return code;
}

/**
 * Why Envoy would not load `code` (Envoy Gateway's messages), or undefined; `validation` is the EnvoyProxy's
 * `luaValidation` (Disabled: only that a handler is defined, as Envoy Gateway checks in every mode).
 */
export function luaProblem(code: string, irName: string, validation: LuaValidation = "Strict"): string | undefined {
  const handlers = HANDLERS.filter((h) => code.includes(h));
  if (handlers.length === 0) return "expected one of envoy_on_request() or envoy_on_response() to be defined";
  if (validation === "Disabled") return undefined;
  try {
    luaparsePackage().parse(code, { luaVersion: "LuaJIT", comments: false, locations: false, ranges: false });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `validation failed for lua body in policy with name ${irName}: failed to validate with ${handlers[0]}: ${why}`;
  }
  return undefined;
}

/** A filter context must be a JSON object (Envoy's Struct). */
function filterContextOf(
  value: unknown,
  index: number,
  problems: string[],
): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(`lua[${index}].filterContext must be a JSON object`);
    return undefined;
  }
  return value as Record<string, unknown>;
}

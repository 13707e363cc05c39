/**
 * One EnvoyExtensionPolicy spec (a policy's own, or a route policy merged onto its parent's) → the route IR it
 * asks for, or the problems that make its routes answer 500. Each list has one translator (a file of its own); a
 * list without a translator yet is named in Accepted=False and, unless every entry of it says `failOpen: true`,
 * its routes answer 500 (Envoy Gateway's answer for an extension that cannot be applied); with `failOpen` the
 * routes are served without those entries, as Envoy Gateway drops failed fail-open entries.
 *
 * Problems carry Envoy Gateway's per-list prefix (`Lua: `, `ExtProc: `, `Wasm: `, `DynamicModule: `).
 */
import type { RouteExtensionsIr } from "../../ir/extension-ir";
import type { EnvoyExtensionPolicySpec } from "../../resources/envoy-extension-policy";
import type { ExtensionContext } from "./extension-context";
import { translateLua } from "./extension-lua";
import { translateWasm } from "./extension-wasm";

/**
 * A list's translator: its part of the route IR (undefined when the spec does not set the list). `problems` fail
 * the routes; `open` are those of entries that fail open (reported; the routes are served without the entries).
 */
type ListTranslator = (
  spec: EnvoyExtensionPolicySpec,
  ctx: ExtensionContext,
  problems: string[],
  open: string[],
) => Partial<Omit<RouteExtensionsIr, "policy">> | undefined;

/** One top-level spec list. */
interface ExtensionList {
  /** Envoy Gateway's prefix of its problems. */
  readonly prefix: string;
  /** Its translator; absent while egts does not translate the list. */
  readonly translate?: ListTranslator;
  /** Whether an entry may fail open (dropped instead of failing the route). */
  readonly failOpen: boolean;
}

/** The lists, by spec field, in Envoy Gateway's reporting order. */
const LISTS: Readonly<Record<string, ExtensionList>> = {
  extProc: { prefix: "ExtProc: ", failOpen: true },
  wasm: {
    prefix: "Wasm: ",
    failOpen: true,
    translate: (spec, ctx, p, open) => {
      const wasm = translateWasm(spec.wasm, ctx, p, open);
      return wasm ? { wasm } : undefined;
    },
  },
  lua: {
    prefix: "Lua: ",
    failOpen: false,
    translate: (spec, ctx, p) => {
      const lua = translateLua(spec.lua, ctx, p);
      return lua ? { lua } : undefined;
    },
  },
  dynamicModule: { prefix: "DynamicModule: ", failOpen: false },
};

/** Spec fields that only attach the policy. */
const ATTACHMENT_FIELDS = new Set(["targetRef", "targetRefs", "targetSelectors", "mergeType"]);

/** The message after the lists egts does not translate yet. */
export const EXTENSION_UNTRANSLATED = "not implemented by egts yet";

/** What one spec translates to. */
export interface ExtensionTranslation {
  /** Why the policy is not (fully) applied: every problem goes to status. */
  readonly problems: readonly string[];
  /** Whether the routes answer 500 (a problem no fail-open entry covers). */
  readonly failed: boolean;
  /** The route IR; absent when nothing applies. */
  readonly extensions?: RouteExtensionsIr;
}

/** Translates one spec (`policy`: the IR's policy name, `ns/name` or merged `a+b`). */
export function translateExtensionSpec(
  spec: EnvoyExtensionPolicySpec,
  policy: string,
  ctx: ExtensionContext,
): ExtensionTranslation {
  const problems: string[] = [];
  let failed = false;
  let ir: RouteExtensionsIr = { policy, lua: [], wasm: [] };
  let any = false;
  for (const field of Object.keys(spec).sort(byListOrder)) {
    const value = (spec as Record<string, unknown>)[field];
    if (value === undefined || ATTACHMENT_FIELDS.has(field)) continue;
    const list = LISTS[field] as ExtensionList | undefined;
    if (!list) {
      problems.push(`spec.${field}: unknown field`);
      failed = true;
      continue;
    }
    if (!list.translate) {
      const open = list.failOpen && Array.isArray(value) && value.every((e) => (e as { failOpen?: boolean }).failOpen);
      const consequence = open ? "its entries fail open: the routes are served without them" : "the routes answer 500";
      problems.push(`${list.prefix}spec.${field} is ${EXTENSION_UNTRANSLATED}; ${consequence}`);
      failed ||= !open;
      continue;
    }
    const own: string[] = [];
    const open: string[] = [];
    const part = list.translate(spec, ctx, own, open);
    for (const p of [...own, ...open]) problems.push(`${list.prefix}${p}`);
    failed ||= own.length > 0;
    if (part) {
      ir = { ...ir, ...part };
      any = true;
    }
  }
  return { problems, failed, ...(any && !failed ? { extensions: ir } : {}) };
}

function byListOrder(a: string, b: string): number {
  const order = Object.keys(LISTS);
  const rank = (f: string): number => (order.includes(f) ? order.indexOf(f) : order.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

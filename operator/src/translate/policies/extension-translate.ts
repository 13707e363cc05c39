/**
 * One EnvoyExtensionPolicy spec (a policy's own, or a route policy merged onto its parent's) → the route IR it
 * asks for, or the problems that make its routes answer 500. Each list has one translator (a file of its own); a
 * list without a translator yet is named in Accepted=False and, unless every entry of it says `failOpen: true`,
 * its routes answer 500 (Envoy Gateway's answer for an extension that cannot be applied); with `failOpen` the
 * routes are served without those entries, as Envoy Gateway drops failed fail-open entries. The same holds for an
 * `extProc` entry that cannot be built (its backend does not resolve, …): 500 unless every failed entry fails
 * open, then the routes run the entries that were built.
 *
 * Problems carry Envoy Gateway's per-list prefix (`Lua: `, `ExtProc: `, `Wasm: `, `DynamicModule: `).
 */
import type { RouteExtensionsIr } from "../../ir/extension-ir";
import type { ClusterIr } from "../../ir/xds-ir";
import type { EnvoyExtensionPolicySpec } from "../../resources/envoy-extension-policy";
import type { ExtensionContext } from "./extension-context";
import { translateDynamicModules } from "./extension-dynamic";
import { translateExtProc } from "./extension-extproc";
import { translateLua } from "./extension-lua";
import { translateWasm } from "./extension-wasm";

/** What a list's translator gives: its part of the route IR, the clusters it calls, and whether it fails open. */
interface ListPart {
  /** Its part of the route IR. */
  readonly ir: Partial<Omit<RouteExtensionsIr, "policy">>;
  /** Clusters of the services its filters call; absent: none. */
  readonly clusters?: readonly ClusterIr[];
  /** Its problems only left out entries that fail open: the routes keep the rest. @default false */
  readonly failOpen?: boolean;
}

/** A list's translator (undefined when the spec does not set the list). */
type ListTranslator = (
  spec: EnvoyExtensionPolicySpec,
  ctx: ExtensionContext,
  problems: string[],
) => ListPart | undefined;

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
  extProc: {
    prefix: "ExtProc: ",
    failOpen: true,
    translate: (spec, ctx, p) => {
      const t = translateExtProc(spec.extProc, ctx, p);
      return t ? { ir: { extProc: t.extProc }, clusters: t.clusters, failOpen: t.failOpen } : undefined;
    },
  },
  wasm: {
    prefix: "Wasm: ",
    failOpen: true,
    translate: (spec, ctx, p) => {
      const closing: string[] = [];
      const open: string[] = [];
      const wasm = translateWasm(spec.wasm, ctx, closing, open);
      p.push(...closing, ...open);
      return wasm ? { ir: { wasm }, failOpen: closing.length === 0 } : undefined;
    },
  },
  lua: {
    prefix: "Lua: ",
    failOpen: false,
    translate: (spec, ctx, p) => {
      const lua = translateLua(spec.lua, ctx, p);
      return lua ? { ir: { lua } } : undefined;
    },
  },
  dynamicModule: {
    prefix: "DynamicModule: ",
    failOpen: false,
    translate: (spec, ctx, p) => {
      const dynamicModules = translateDynamicModules(spec.dynamicModule, ctx, p);
      return dynamicModules ? { ir: { dynamicModules } } : undefined;
    },
  },
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
  /** Clusters of the services the route IR's filters call (external processors); absent: none. */
  readonly clusters?: readonly ClusterIr[];
}

/** The route IR of a policy that sets no list egts translates. */
function emptyExtensions(policy: string): RouteExtensionsIr {
  return { policy, lua: [], extProc: [], wasm: [], dynamicModules: [] };
}

/** Whether `ir` runs anything. */
export function hasExtensions(ir: RouteExtensionsIr): boolean {
  return Object.values(ir).some((v) => Array.isArray(v) && v.length > 0);
}

/** Translates one spec (`policy`: the IR's policy name, `ns/name` or merged `a+b`). */
export function translateExtensionSpec(
  spec: EnvoyExtensionPolicySpec,
  policy: string,
  ctx: ExtensionContext,
): ExtensionTranslation {
  const problems: string[] = [];
  let failed = false;
  let ir = emptyExtensions(policy);
  const clusters: ClusterIr[] = [];
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
    if (!Array.isArray(value)) {
      problems.push(`${list.prefix}spec.${field} must be a list`);
      failed = true;
      continue;
    }
    if (!list.translate) {
      failed = untranslated(list, field, value, problems) || failed;
      continue;
    }
    const { part, closes } = translateList(list, list.translate, spec, ctx, problems);
    failed ||= closes;
    if (part) {
      ir = { ...ir, ...part.ir };
      clusters.push(...(part.clusters ?? []));
      any = true;
    }
  }
  if (!any || failed || !hasExtensions(ir)) return { problems, failed };
  return { problems, failed, extensions: ir, ...(clusters.length > 0 ? { clusters } : {}) };
}

/** Runs a list's translator, its problems prefixed into `problems`; `closes` when they fail the routes. */
function translateList(
  list: ExtensionList,
  translate: ListTranslator,
  spec: EnvoyExtensionPolicySpec,
  ctx: ExtensionContext,
  problems: string[],
): { part?: ListPart; closes: boolean } {
  const own: string[] = [];
  const part = translate(spec, ctx, own);
  for (const p of own) problems.push(`${list.prefix}${p}`);
  return { ...(part ? { part } : {}), closes: own.length > 0 && part?.failOpen !== true };
}

/** Reports a list egts does not translate; true when its routes answer 500 (not every entry fails open). */
function untranslated(list: ExtensionList, field: string, value: unknown, problems: string[]): boolean {
  const open = list.failOpen && Array.isArray(value) && value.every((e) => (e as { failOpen?: boolean }).failOpen);
  const consequence = open ? "its entries fail open: the routes are served without them" : "the routes answer 500";
  problems.push(`${list.prefix}spec.${field} is ${EXTENSION_UNTRANSLATED}; ${consequence}`);
  return !open;
}

function byListOrder(a: string, b: string): number {
  const order = Object.keys(LISTS);
  const rank = (f: string): number => (order.includes(f) ? order.indexOf(f) : order.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

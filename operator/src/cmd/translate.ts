/** `egts translate`: Gateway API YAML in, statuses / IR / xDS out (offline, no Envoy, no cluster). */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { expandAny } from "../../../proto/any";
import { dropDuplicates, type LocatedObject } from "../provider/file/duplicates";
import { FILE_LIMITS } from "../provider/file/file-provider";
import { formatInputError, parseManifests, type InputError } from "../provider/file/parse";
import { readInputFile } from "../provider/file/read-file";
import { unreadWarnings } from "../provider/file/unread";
import type { KubeObject } from "../resources/meta";
import { snapshotFromObjects } from "../resources/snapshot";
import { OidcDiscovery } from "../pipeline/oidc-discovery";
import { WasmCache, wasmOption } from "../pipeline/wasm-cache";
import {
  DEFAULT_CONTROLLER_NAMESPACE,
  translate,
  type TranslateOptions,
  type TranslateResult,
} from "../translate/translate";
import { oidcHmacSecretOf } from "../certgen/oidc-hmac";
import { env } from "../config/env";
import { buildNodeResources } from "../xds/translate/resources";
import { patchNode, type PatchStep } from "../pipeline/patch-step";
import { withPolicyConditions } from "../xds/patch/status";
import { SHORT_NAME, lookupTypeCodec } from "../xds/types";

/** Output forms of `egts translate`. */
export type TranslateOutput = "status" | "ir" | "xds" | "all";

/** The path that means standard input (`-f -`). */
export const STDIN = "-";

/** Everything on standard input, as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Reads files or folders of YAML (or `-`: standard input) into objects, collecting errors with file and line, with the file
 * provider's budgets and duplicate rule (the last definition wins; `warnings` names both places), and a
 * warning for each object egts does not read.
 */
export async function readInputs(
  paths: readonly string[],
): Promise<{ objects: KubeObject[]; errors: InputError[]; warnings: InputError[] }> {
  const located: LocatedObject[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      const r = parseManifests("<stdin>", await readStdin());
      r.objects.forEach((object, i) => located.push({ object, location: r.locations[i] }));
      errors.push(...r.errors);
      continue;
    }
    const files = (await stat(p)).isDirectory()
      ? (await readdir(p))
          .filter((n) => /\.(ya?ml|json)$/.test(n))
          .sort()
          .map((n) => join(p, n))
      : [p];
    for (const f of files) {
      const read = readInputFile(f, FILE_LIMITS.maxFileBytes);
      if (read.kind !== "text") {
        errors.push(read.kind === "error" ? read.error : { file: f, line: 0, column: 0, message: "not found" });
        continue;
      }
      const r = parseManifests(f, read.text);
      r.objects.forEach((object, i) => located.push({ object, location: r.locations[i] }));
      errors.push(...r.errors);
    }
  }
  const { objects, warnings } = dropDuplicates(located);
  return { objects, errors, warnings: [...unreadWarnings(located), ...warnings] };
}

/**
 * Renders a translation result as YAML documents. EnvoyPatchPolicies are applied to the Envoy resources (checked
 * against the schema only: offline there is no Envoy to ask) and their Programmed conditions join the statuses.
 */
export function renderTranslation(result: TranslateResult, to: TranslateOutput): string {
  const docs: unknown[] = [];
  const wantXds = to === "xds" || to === "all";
  const { steps, statuses } = translationSteps(result, wantXds);
  if (to === "status" || to === "all") docs.push(...statuses.map(statusDoc));
  if (to === "ir" || to === "all") docs.push({ xdsIr: result.xdsIr, infraIr: result.infraIr });
  if (wantXds) docs.push(...steps.map((s) => ({ node: s.node, resources: xdsDoc(s.resources ?? new Map()) })));
  // No anchors and aliases (&a1 … *a1) for repeated objects: every object is written out where it is.
  return docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

/**
 * The Envoy resources of each node with the EnvoyPatchPolicies applied (checked against the schema only: offline
 * there is no Envoy to ask), and the statuses with the patch policies' Programmed conditions. Resources are built
 * for every node when `allNodes`, else only where patches need them for the statuses.
 */
export function translationSteps(
  result: TranslateResult,
  allNodes: boolean,
): { steps: PatchStep[]; statuses: TranslateResult["statuses"] } {
  const steps = result.xdsIr
    .filter((ir) => allNodes || (ir.patches ?? []).length > 0)
    .map((ir) => patchNode(ir, buildNodeResources(ir), undefined));
  const statuses = withPolicyConditions(
    result.statuses,
    steps.flatMap((s) => s.conditions),
  );
  return { steps, statuses };
}

function statusDoc(s: TranslateResult["statuses"][number]): unknown {
  return {
    apiVersion: s.apiVersion,
    kind: s.kind,
    metadata: s.namespace ? { name: s.name, namespace: s.namespace } : { name: s.name },
    status: s.status,
  };
}

/** Envoy resources of one node as readable data, keyed by short type name, sorted by name. */
export function xdsDoc(resources: ReturnType<typeof buildNodeResources>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [typeUrl, byName] of resources) {
    const codec = lookupTypeCodec(typeUrl);
    const list = [...byName.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, any]) => expandAny(codec.toJSON(codec.decode(any.value))));
    if (list.length > 0) out[SHORT_NAME[typeUrl] ?? typeUrl] = list;
  }
  return out;
}

/** Runs the subcommand; returns the exit code. */
export async function runTranslate(
  files: readonly string[],
  to: TranslateOutput,
  opts: TranslateOptions,
): Promise<number> {
  const { objects, errors, warnings } = await readInputs(files);
  for (const w of warnings) process.stderr.write(`warning: ${formatInputError(w)}\n`);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`error: ${formatInputError(e)}\n`);
    return 1;
  }
  process.stdout.write(renderTranslation(await translateOffline(objects, opts), to));
  return 0;
}

/**
 * Translates objects as the controller would, offline: OIDC providers named only by their issuer are discovered
 * first, the OIDC cookies' HMAC secret is read from the input (Secret envoy-oidc-hmac of the controller
 * namespace; without it OIDC policies fail closed saying it is missing), and Wasm modules are fetched and checked
 * (their errors go to status; the serving URLs in the output point at a throwaway server, closed before returning).
 */
export async function translateOffline(
  objects: readonly KubeObject[],
  opts: TranslateOptions,
): Promise<TranslateResult> {
  const snapshot = snapshotFromObjects(objects);
  const discovery = new OidcDiscovery(opts.backends ? { backends: opts.backends } : {});
  await discovery.prepare(snapshot);
  await discovery.settled();
  discovery.close();
  const results = discovery.results();
  const withDiscovery = results.size > 0 ? { ...opts, oidcDiscovery: results } : opts;
  const hmac = oidcHmacSecretOf(snapshot, opts.controllerNamespace ?? DEFAULT_CONTROLLER_NAMESPACE);
  const withHmac = hmac ? { ...withDiscovery, oidcHmacSecret: hmac } : withDiscovery;
  const wasm = new WasmCache({ dir: join(env().cacheDir, "wasm"), port: 0 });
  await wasm.prepare(snapshot);
  await wasm.settled();
  const withWasm = { ...withHmac, ...wasmOption(wasm) };
  await wasm.close();
  return translate(snapshot, withWasm);
}

/**
 * EnvoyExtensionPolicy `wasm`: each entry becomes a Wasm filter on its routes, once egts has the module. The
 * module is fetched (HTTP URL) or pulled (OCI image) outside translation (pipeline/wasm-cache.ts), checked against
 * the entry's sha256 and served to Envoy by egts (ir/wasm-ir.ts); here an entry only looks its result up.
 * An entry whose module is not there (still being fetched, failed, checksum mismatch, unreadable pull secret) is a
 * problem in status; unless the entry says `failOpen`, its routes answer 500 (Envoy Gateway's fail-closed rule),
 * else the routes are served without that entry.
 */
import { isIP } from "node:net";
import { WASM_CLUSTER, type WasmIr } from "../../ir/wasm-ir";
import type { ClusterIr, GatewayXdsIr, UpstreamTlsIr } from "../../ir/xds-ir";
import type { Wasm } from "../../resources/envoy-extension-policy";
import { wasmSourceRequest } from "../wasm-sources";
import type { ExtensionContext } from "./extension-context";
import { extensionIrName } from "./extension-context";

/**
 * The `wasm` list → the modules to run, or undefined when the list is unset. Problems (without the `Wasm: `
 * prefix) go to `problems`, or to `open` for entries that fail open (reported, but the routes keep working).
 */
export function translateWasm(
  list: readonly Wasm[] | undefined,
  ctx: ExtensionContext,
  problems: string[],
  open: string[],
): readonly WasmIr[] | undefined {
  if (!list || list.length === 0) return undefined;
  const owner = ctx.ownerOf("wasm");
  const out: WasmIr[] = [];
  for (const [i, entry] of list.entries()) {
    const name = `${extensionIrName(owner)}/wasm/${i}`;
    const module = moduleOf(entry, owner.namespace, ctx);
    if ("error" in module) {
      (entry.failOpen === true ? open : problems).push(module.error);
      continue;
    }
    out.push({
      name,
      pluginName: entry.name !== undefined && entry.name !== "" ? entry.name : name,
      ...(entry.rootID ? { rootId: entry.rootID } : {}),
      config: entry.config === undefined || entry.config === null ? "" : JSON.stringify(entry.config),
      failOpen: entry.failOpen === true,
      hostKeys: [...(entry.env?.hostKeys ?? [])],
      servingUrl: module.url,
      sha256: module.sha256,
    });
  }
  return out;
}

/** Where Envoy fetches an entry's module and its sha256, or why it cannot (Envoy Gateway's messages where it has one). */
function moduleOf(
  entry: Wasm,
  namespace: string,
  ctx: ExtensionContext,
): { url: string; sha256: string } | { error: string } {
  const req = wasmSourceRequest(entry.code, namespace, ctx.refs);
  if ("error" in req) return req;
  if (!ctx.wasm) return { error: "wasm cache is not initialized" };
  const result = ctx.wasm.results.get(req.key);
  if (!result) return { error: `fetch of Wasm module ${req.url} pending` };
  if ("error" in result) return result;
  return { url: `${ctx.wasm.servingBase.replace(/\/+$/, "")}/${result.path}`, sha256: result.sha256 };
}

/**
 * The node with {@link WASM_CLUSTER} (the route to egts's module server) when one of its routes runs a Wasm
 * module; Envoy fetches every module through it, over TLS when `tls` is given (the module server's mTLS).
 */
export function withWasmCluster(n: GatewayXdsIr, tls?: UpstreamTlsIr): GatewayXdsIr {
  const url = firstServingUrl(n);
  if (!url || n.clusters.some((c) => c.name === WASM_CLUSTER)) return n;
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = u.port === "" ? (u.protocol === "https:" ? 443 : 80) : Number(u.port);
  const cluster: ClusterIr = {
    name: WASM_CLUSTER,
    discovery: isIP(host) ? "static" : "dns",
    endpoints: [{ host, port }],
    protocol: "http1",
    ...(tls ? { tls } : {}),
  };
  return { ...n, clusters: [...n.clusters, cluster] };
}

function firstServingUrl(n: GatewayXdsIr): string | undefined {
  for (const l of n.http)
    for (const v of l.virtualHosts)
      for (const r of v.routes) {
        const w = r.extensions?.wasm[0];
        if (w) return w.servingUrl;
      }
  return undefined;
}

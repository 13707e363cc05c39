/**
 * Wasm modules, outside the (pure) translation: for every module an EnvoyExtensionPolicy names
 * (translate/wasm-sources.ts), fetch it (HTTP) or pull it (OCI image, pipeline/oci-client.ts), check it (a Wasm
 * binary; the sha256 the policy expects: of the module for HTTP, of the manifest for an image), keep it on disk
 * by its sha256, and serve it to Envoy (pipeline/wasm-server.ts); the results go to TranslateOptions.wasmModules.
 * A result that changes asks the pipeline for a new pass (`changes$`); until a module has a result its entries
 * fail ("pending": closed unless `failOpen`).
 *
 * A failed fetch is tried again after a back-off (1 s doubling to 5 min) and its error stays in status meanwhile.
 * With `pullPolicy: IfNotPresent` (the default but for `:latest` images) a module already on disk for the same
 * source is used without a fetch, also after a restart; `Always` fetches once per process and source.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Subject, type Observable } from "rxjs";
import type { UpstreamTlsIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { wasmSourcesToFetch, type WasmModules, type WasmSourceRequest } from "../translate/wasm-sources";
import { httpFetch } from "./http-fetch";
import { pullWasmImage, wasmInArchive } from "./oci-client";
import { DEFAULT_WASM_SERVER_PORT, WasmServer, type WasmServerTls } from "./wasm-server";
import type { WasmFetchFailure, WasmMetrics } from "../metrics/control-plane";

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** How long a pass waits for newly needed modules before translating without them. */
export const FIRST_FETCH_MS = 5_000;

/** Where modules are kept and served. */
export interface WasmCacheOptions {
  /** Folder of the disk cache (`<dir>/modules/<sha256>.wasm`, `<dir>/sources/<key digest>`). */
  readonly dir: string;
  /** Address the module server listens on (and, without `servingBase`, where Envoy reaches it). @default "127.0.0.1" */
  readonly host?: string;
  /** Port of the module server (0: any free port). @default 18002 */
  readonly port?: number;
  /**
   * The module server's base URL as Envoy reaches it, when not the address it listens on (Kubernetes: the
   * controller's Service, `https://envoy-gateway.<namespace>.svc.cluster.local:18002`). @default `http(s)://host:port`
   */
  readonly servingBase?: string;
  /** Serve HTTPS requiring client certificates of the control plane's CA (Kubernetes with mTLS). @default HTTP */
  readonly tls?: WasmServerTls;
  /** How Envoy's `wasm_cluster` reaches the server over TLS (goes to WasmModules.servingTls). @default plaintext */
  readonly servingTls?: UpstreamTlsIr;
  /** Logs a result change. */
  readonly log?: (level: "info" | "warn", message: string, fields: Record<string, unknown>) => void;
  /** Envoy Gateway's wasm_* metrics. @default none */
  readonly metrics?: WasmMetrics;
}

/** A fetched module, or why there is none. */
type Result = { sha256: string; path: string } | { error: string };

interface Entry {
  readonly request: WasmSourceRequest;
  result?: Result;
  /** The module's file in the disk cache, once fetched. */
  file?: string;
  timer?: NodeJS.Timeout;
  failures: number;
}

/** The modules the last snapshot needs, fetched in the background and served to Envoy. */
export class WasmCache {
  private readonly entries = new Map<string, Entry>();
  private readonly changes = new Subject<void>();
  private readonly server: WasmServer;
  /**
   * Makes serving paths unguessable (Envoy Gateway salts them too): random, or the one {@link prepare} is given
   * (Kubernetes: the OIDC HMAC secret, as Envoy Gateway, so that every replica serves a module at the same path).
   */
  private salt = randomBytes(16).toString("hex");
  private base?: string;
  private serverError?: string;
  private closed = false;

  /** Emits when a result changes (the pipeline translates again). */
  readonly changes$: Observable<void> = this.changes.asObservable();

  constructor(private readonly opts: WasmCacheOptions) {
    this.server = new WasmServer(opts.host ?? "127.0.0.1", opts.port ?? DEFAULT_WASM_SERVER_PORT, opts.tls);
  }

  /** Makes the set of modules `wanted`: new ones are fetched in the background. Returns true when one started. */
  sync(wanted: ReadonlyMap<string, WasmSourceRequest>): boolean {
    for (const [key, e] of this.entries) {
      if (wanted.has(key)) continue;
      clearTimeout(e.timer);
      if (e.result && "path" in e.result) this.server.forget(e.result.path);
      this.entries.delete(key);
    }
    let started = false;
    for (const [key, request] of wanted) {
      if (this.entries.has(key)) continue;
      const entry: Entry = { request, failures: 0 };
      this.entries.set(key, entry);
      void this.fetch(key, entry);
      started = true;
    }
    return started;
  }

  /**
   * Syncs with the modules `snapshot` needs (starting the module server the first time one is needed); newly
   * needed ones get up to {@link FIRST_FETCH_MS}, so their routes do not fail for one pass. `salt`: the serving
   * paths' salt, when it must be the same on every replica.
   */
  async prepare(snapshot: ResourceSnapshot, salt?: Buffer): Promise<void> {
    if (salt && salt.length > 0) this.resalt(salt.toString("hex"));
    const wanted = wasmSourcesToFetch(snapshot);
    if (wanted.size > 0 && this.base === undefined) await this.startServer();
    if (this.sync(wanted)) await this.settled(FIRST_FETCH_MS);
  }

  /** What translation needs: the results so far and the server's URL; undefined when no module was ever needed. */
  modules(): WasmModules | undefined {
    if (this.base === undefined && this.serverError === undefined) return undefined;
    const results = new Map<string, Result>();
    for (const [key, e] of this.entries) {
      if (this.serverError) results.set(key, { error: this.serverError });
      else if (e.result) results.set(key, e.result);
    }
    const servingTls = this.opts.servingTls;
    return { servingBase: this.base ?? "", results, ...(servingTls ? { servingTls } : {}) };
  }

  /** Waits until every wanted module has a result (tests, and a pass that needs a new module). */
  async settled(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && [...this.entries.values()].some((e) => !e.result) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops every timer and the module server. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.changes.complete();
    await this.server.stop();
  }

  private async startServer(): Promise<void> {
    try {
      const listening = await this.server.start();
      this.base = this.opts.servingBase ?? listening;
      this.serverError = undefined;
    } catch (err) {
      const where = `${this.opts.host ?? "127.0.0.1"}:${this.opts.port ?? DEFAULT_WASM_SERVER_PORT}`;
      this.serverError = `the Wasm module server cannot listen on ${where}: ${(err as Error).message}`;
    }
  }

  private async fetch(key: string, entry: Entry): Promise<void> {
    const metrics = this.opts.metrics;
    const got = await fetchToDisk(entry.request, this.opts.dir, metrics).catch((err: Error): Result => {
      metrics?.wasmFetched(fetchFailure(err.message));
      return { error: err.message };
    });
    if (this.closed || this.entries.get(key) !== entry) return;
    const result: Result = "error" in got ? got : { sha256: got.sha256, path: this.pathOf(key) };
    if ("path" in result && "file" in got) {
      if (entry.result && "path" in entry.result) this.server.forget(entry.result.path);
      this.server.serve(result.path, got.file);
      entry.file = got.file;
    }
    const changed = JSON.stringify(result) !== JSON.stringify(entry.result);
    entry.result = result;
    if ("error" in result) {
      entry.failures += 1;
      entry.timer = setTimeout(
        () => void this.fetch(key, entry),
        Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (entry.failures - 1)),
      );
      entry.timer.unref();
    } else entry.failures = 0;
    metrics?.wasmEntries([...this.entries.values()].filter((e) => e.result && "path" in e.result).length);
    if (!changed) return;
    const fields = { source: entry.request.url, ...result };
    this.opts.log?.(
      "error" in result ? "warn" : "info",
      "error" in result ? "Wasm module fetch failed" : "Wasm module ready",
      fields,
    );
    this.changes.next();
  }

  /** Serves every fetched module at its path under the new `salt` (and no longer at the old one). */
  private resalt(salt: string): void {
    if (salt === this.salt) return;
    this.salt = salt;
    for (const [key, e] of this.entries) {
      if (!e.result || !("path" in e.result) || !e.file) continue;
      this.server.forget(e.result.path);
      e.result = { ...e.result, path: this.pathOf(key) };
      this.server.serve(e.result.path, e.file);
    }
  }

  private pathOf(key: string): string {
    return `${createHash("sha256").update(`${key}\0${this.salt}`).digest("base64url")}.wasm`;
  }
}

/**
 * The module of `req` in the disk cache: fetched and checked now, or (IfNotPresent) found there from an earlier
 * fetch of the same source. Rejects with Envoy Gateway's messages.
 */
export async function fetchToDisk(
  req: WasmSourceRequest,
  dir: string,
  metrics?: WasmMetrics,
): Promise<{ sha256: string; file: string }> {
  const index = join(dir, "sources", createHash("sha256").update(req.key).digest("hex"));
  if (req.pullPolicy === "IfNotPresent") {
    const known = await readFile(index, "utf8").catch(() => undefined);
    const file = known && join(dir, "modules", `${known.trim()}.wasm`);
    const hit = file ? await readFile(file).then(isModule, () => false) : false;
    metrics?.wasmLookup(hit);
    if (file && known && hit) return { sha256: known.trim(), file };
  }
  const module = req.type === "HTTP" ? await fetchHttp(req) : await pullImage(req);
  metrics?.wasmFetched(undefined);
  const sha256 = createHash("sha256").update(module).digest("hex");
  const file = join(dir, "modules", `${sha256}.wasm`);
  await writeAtomically(file, module);
  await writeAtomically(index, sha256);
  return { sha256, file };
}

async function fetchHttp(req: WasmSourceRequest): Promise<Buffer> {
  let body: Buffer;
  try {
    const r = await httpFetch(req.url, req.caCertificate ? { ca: req.caCertificate } : {});
    if (r.status !== 200) throw new Error(`wasm module download request failed: status code ${r.status}`);
    body = r.body;
  } catch (err) {
    throw new Error(`could not fetch Wasm binary: ${(err as Error).message}`, { cause: err });
  }
  const got = createHash("sha256").update(body).digest("hex");
  if (req.sha256 && got !== req.sha256) {
    throw new Error(`module downloaded from ${req.url} has checksum ${got}, which does not match: ${req.sha256}`);
  }
  return checkedModule(body, req.url);
}

async function pullImage(req: WasmSourceRequest): Promise<Buffer> {
  const oci = req.url.startsWith("oci://") ? req.url : `oci://${req.url}`;
  let pulled;
  try {
    pulled = await pullWasmImage(req.url, {
      ...(req.caCertificate ? { ca: req.caCertificate } : {}),
      ...(req.dockerConfigJson ? { dockerConfigJson: req.dockerConfigJson } : {}),
    });
  } catch (err) {
    throw new Error(`could not fetch Wasm OCI image: ${(err as Error).message}`, { cause: err });
  }
  if (req.sha256 && pulled.manifestSha256 !== req.sha256) {
    throw new Error(
      `module downloaded from ${oci} has checksum ${pulled.manifestSha256}, which does not match: ${req.sha256}`,
    );
  }
  return checkedModule(pulled.module, oci);
}

/** The Wasm binary in `body` (unwrapped from a tar or gzip), or Envoy Gateway's refusal. */
function checkedModule(body: Buffer, url: string): Buffer {
  let module: Buffer;
  try {
    module = isModule(body) ? body : wasmInArchive(body, url);
  } catch {
    module = body;
  }
  if (!isModule(module)) throw new Error(`fetched Wasm binary from ${url} is invalid`);
  return module;
}

function isModule(b: Buffer): boolean {
  return b.length >= 8 && b.subarray(0, 4).equals(WASM_MAGIC);
}

async function writeAtomically(file: string, data: Buffer | string): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Envoy Gateway's reason of a failed fetch, from our error message (the messages above). */
function fetchFailure(message: string): WasmFetchFailure {
  if (/checksum .* does not match/.test(message)) return "checksum_mismatched";
  if (/could not fetch Wasm OCI image/.test(message)) return "manifest_error";
  if (/could not fetch Wasm binary/.test(message)) return "download_error";
  return "fetch_error";
}

/** The TranslateOptions part of `cache`: its modules, once one was needed. */
export function wasmOption(cache: WasmCache): { wasmModules?: WasmModules } {
  const modules = cache.modules();
  return modules ? { wasmModules: modules } : {};
}

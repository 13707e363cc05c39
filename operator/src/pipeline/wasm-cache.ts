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
 *
 * Envoy Gateway's limits (its internal/wasm defaults), {@link WasmCacheLimits}: the modules on disk may take 1 GiB
 * (a fetch that would pass it fails: `wasm cache size exceeded the limit: <bytes>`); a module unused for 24 h is
 * deleted (looked for hourly; a module some policy needs counts as used); a source whose fetch failed more than 10
 * times is not tried again for 1 h (`failed to get Wasm module <url> after 10 attempts`, then the last error).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
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
const HOUR_MS = 3_600_000;
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** How long a pass waits for newly needed modules before translating without them. */
export const FIRST_FETCH_MS = 5_000;

/** Envoy Gateway's Wasm cache limits; every field defaults to Envoy Gateway v1.9.1's value. */
export interface WasmCacheLimits {
  /** Most bytes the modules on disk may take; a fetch that would pass it fails. @default 1 GiB */
  readonly maxBytes?: number;
  /** A module no policy has needed for this long is deleted from disk. @default 24 h */
  readonly expiryMs?: number;
  /** How often unused modules are looked for. @default 1 h */
  readonly purgeIntervalMs?: number;
  /** A source whose fetch failed more often than this is not tried again for `failureResetMs`. @default 10 */
  readonly maxFailures?: number;
  /** How long a source that was given up rests before it is tried again. @default 1 h */
  readonly failureResetMs?: number;
  /** TEST ONLY: the retry back-off, first and longest delay. @default 1 s, 5 min */
  readonly retryMs?: { readonly min: number; readonly max: number };
}

/** Envoy Gateway v1.9.1's limits (internal/wasm: DefaultMaxCacheSize, DefaultModuleExpiry, ...). */
export const DEFAULT_WASM_LIMITS: Required<Omit<WasmCacheLimits, "retryMs">> = {
  maxBytes: 1024 * 1024 * 1024,
  expiryMs: 24 * HOUR_MS,
  purgeIntervalMs: HOUR_MS,
  maxFailures: 10,
  failureResetMs: HOUR_MS,
};

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
  /** The cache limits. @default {@link DEFAULT_WASM_LIMITS} */
  readonly limits?: WasmCacheLimits;
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
  private purgeTimer?: NodeJS.Timeout;
  private readonly limits: Required<Omit<WasmCacheLimits, "retryMs">>;

  /** Emits when a result changes (the pipeline translates again). */
  readonly changes$: Observable<void> = this.changes.asObservable();

  constructor(private readonly opts: WasmCacheOptions) {
    this.server = new WasmServer(opts.host ?? "127.0.0.1", opts.port ?? DEFAULT_WASM_SERVER_PORT, opts.tls);
    const given = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_WASM_LIMITS, ...given };
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
    clearInterval(this.purgeTimer);
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.changes.complete();
    await this.server.stop();
  }

  private async startServer(): Promise<void> {
    try {
      const listening = await this.server.start();
      this.base = this.opts.servingBase ?? listening;
      this.serverError = undefined;
      this.purgeTimer ??= setInterval(() => void this.purge(), this.limits.purgeIntervalMs);
      this.purgeTimer.unref();
    } catch (err) {
      const where = `${this.opts.host ?? "127.0.0.1"}:${this.opts.port ?? DEFAULT_WASM_SERVER_PORT}`;
      this.serverError = `the Wasm module server cannot listen on ${where}: ${(err as Error).message}`;
    }
  }

  private async fetch(key: string, entry: Entry): Promise<void> {
    const metrics = this.opts.metrics;
    const got = await fetchToDisk(entry.request, this.opts.dir, metrics, this.limits.maxBytes).catch(
      (err: Error): Result => {
        metrics?.wasmFetched(fetchFailure(err.message));
        return { error: err.message };
      },
    );
    if (this.closed || this.entries.get(key) !== entry) return;
    let result: Result = "error" in got ? got : { sha256: got.sha256, path: this.pathOf(key) };
    if ("path" in result && "file" in got) {
      if (entry.result && "path" in entry.result) this.server.forget(entry.result.path);
      this.server.serve(result.path, got.file);
      entry.file = got.file;
    }
    if ("error" in result) result = this.retryLater(key, entry, result.error);
    else entry.failures = 0;
    const changed = JSON.stringify(result) !== JSON.stringify(entry.result);
    entry.result = result;
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

  /**
   * Schedules the next fetch after a failure: after the back-off, or, past `maxFailures` failures (Envoy Gateway
   * gives up when they are more than its limit), after `failureResetMs` with the count reset. Returns the result
   * to report: the error, or Envoy Gateway's give-up message followed by it.
   */
  private retryLater(key: string, entry: Entry, error: string): Result {
    entry.failures += 1;
    const { maxFailures, failureResetMs } = this.limits;
    const givenUp = entry.failures > maxFailures;
    const retry = this.opts.limits?.retryMs ?? { min: RETRY_MIN_MS, max: RETRY_MAX_MS };
    const delay = givenUp ? failureResetMs : Math.min(retry.max, retry.min * 2 ** (entry.failures - 1));
    entry.timer = setTimeout(() => {
      if (givenUp) entry.failures = 0;
      void this.fetch(key, entry);
    }, delay);
    entry.timer.unref();
    if (!givenUp) return { error };
    return { error: `failed to get Wasm module ${entry.request.url} after ${maxFailures} attempts: ${error}` };
  }

  /**
   * Deletes the modules on disk no policy has needed for `expiryMs` (Envoy Gateway's purge): a module some entry
   * uses is touched (its modification time is its last use), the others are deleted once that is too old.
   */
  private async purge(): Promise<void> {
    const dir = join(this.opts.dir, "modules");
    const inUse = new Set([...this.entries.values()].flatMap((e) => (e.file ? [e.file] : [])));
    const names = await readdir(dir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names.filter((n) => n.endsWith(".wasm"))) {
      const file = join(dir, name);
      if (inUse.has(file)) {
        await utimes(file, now / 1000, now / 1000).catch(() => undefined);
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info || now - info.mtimeMs <= this.limits.expiryMs) continue;
      await unlink(file).then(
        () => this.opts.log?.("info", "removed a Wasm module unused for the expiry time", { file }),
        () => undefined,
      );
    }
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
  maxBytes = DEFAULT_WASM_LIMITS.maxBytes,
): Promise<{ sha256: string; file: string }> {
  const index = join(dir, "sources", createHash("sha256").update(req.key).digest("hex"));
  if (req.pullPolicy === "IfNotPresent") {
    const known = await readFile(index, "utf8").catch(() => undefined);
    const file = known && join(dir, "modules", `${known.trim()}.wasm`);
    const hit = file ? await readFile(file).then(isModule, () => false) : false;
    metrics?.wasmLookup(hit);
    if (file && known && hit) {
      const now = Date.now() / 1000;
      await utimes(file, now, now).catch(() => undefined); // used again: not expired
      return { sha256: known.trim(), file };
    }
  }
  const module = req.type === "HTTP" ? await fetchHttp(req) : await pullImage(req);
  metrics?.wasmFetched(undefined);
  const sha256 = createHash("sha256").update(module).digest("hex");
  const file = join(dir, "modules", `${sha256}.wasm`);
  await checkRoom(join(dir, "modules"), `${sha256}.wasm`, module.length, maxBytes);
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

/** Fails with Envoy Gateway's message when adding `size` bytes as `name` would pass `maxBytes` on disk. */
async function checkRoom(dir: string, name: string, size: number, maxBytes: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.includes(name)) return; // the same module is there already: nothing grows
  const sizes = await Promise.all(
    names
      .filter((n) => n.endsWith(".wasm"))
      .map((n) =>
        stat(join(dir, n)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  if (sizes.reduce((a, b) => a + b, 0) + size > maxBytes) {
    throw new Error(`wasm cache size exceeded the limit: ${maxBytes}`);
  }
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

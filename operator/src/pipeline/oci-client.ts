/**
 * A small OCI distribution (registry v2 API) client that pulls a Wasm module out of an image, as Envoy Gateway's
 * image fetcher does: resolve the manifest (by tag or digest; an index resolves to its first manifest), whose
 * sha256 is the image's digest, then find the module in the layers — a layer of type
 * `application/vnd.module.wasm.content.layer.v1+wasm` (the "oci" artifact variant) is the module itself, else the
 * last layer is a (gzipped) tar holding `plugin.wasm` (the "compat" variant and Docker images).
 *
 * Authentication: anonymous first; on a 401 the registry's challenge is answered with the credentials of a
 * `.dockerconfigjson` (Basic directly, or Bearer through the token endpoint the challenge names). Registries on a
 * loopback host are spoken to over plain HTTP (as Docker treats localhost as an insecure registry), others over
 * HTTPS. Blobs are checked against their digests.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { httpFetch, type FetchResponse } from "./http-fetch";

/** An image reference split up. */
export interface ImageRef {
  /** Registry host (with port), e.g. `127.0.0.1:5000` or `registry-1.docker.io`. */
  readonly registry: string;
  /** Repository, e.g. `library/plugin`. */
  readonly repository: string;
  /** Tag or `sha256:` digest. */
  readonly reference: string;
}

/** What a pull found. */
export interface PulledModule {
  /** The module bytes. */
  readonly module: Buffer;
  /** Hex sha256 of the manifest (the image digest, which the policy's `image.sha256` names). */
  readonly manifestSha256: string;
}

/** How to pull. */
export interface PullOptions {
  /** `.dockerconfigjson` contents (registry credentials). @default anonymous */
  readonly dockerConfigJson?: string;
  /** PEM CA bundle the registry's certificate must chain to. @default the system CAs */
  readonly ca?: string;
  /** Per request timeout. @default 15000 */
  readonly timeoutMs?: number;
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);
const PLUGIN_FILE = "plugin.wasm";

/** Parses `[oci://]host[:port]/repo[:tag|@sha256:…]` (Docker Hub when there is no host; tag `latest` when none). */
export function parseImageRef(url: string): ImageRef {
  let rest = url.replace(/^oci:\/\//, "");
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasHost) {
    const repository = rest.includes("/") ? rest : `library/${rest}`;
    return { registry: "registry-1.docker.io", repository, reference };
  }
  return { registry: first, repository: rest.slice(slash + 1), reference };
}

/** Pulls the Wasm module of image `url`; rejects with what went wrong. */
export async function pullWasmImage(url: string, opts: PullOptions = {}): Promise<PulledModule> {
  const ref = parseImageRef(url);
  const client = new RegistryClient(ref, opts);
  let manifest = await client.manifest(ref.reference);
  const manifestSha256 = sha256(manifest.body);
  let doc = parseJson(manifest.body, "manifest");
  if (Array.isArray(doc.manifests)) {
    const first = (doc.manifests as { digest?: string }[])[0];
    if (!first?.digest) throw new Error(`image ${url}: its index lists no manifest`);
    manifest = await client.manifest(first.digest);
    doc = parseJson(manifest.body, "manifest");
  }
  const layers = (Array.isArray(doc.layers) ? doc.layers : []) as { mediaType?: string; digest?: string }[];
  if (layers.length === 0) throw new Error(`image ${url} has no layers`);
  const wasmLayer = layers.find((l) => l.mediaType === WASM_LAYER);
  const layer = wasmLayer ?? layers[layers.length - 1];
  if (!layer.digest) throw new Error(`image ${url}: a layer has no digest`);
  const blob = await client.blob(layer.digest);
  const module = wasmLayer ? blob : wasmInArchive(blob, url);
  return { module, manifestSha256 };
}

/** The module in a download: the bytes themselves when they are one, else `plugin.wasm` in the (gzipped) tar. */
export function wasmInArchive(blob: Buffer, url: string): Buffer {
  if (blob.subarray(0, 4).equals(WASM_MAGIC)) return blob;
  const tar = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
  const file = tarEntry(tar, (name) => name === PLUGIN_FILE || name.endsWith(`/${PLUGIN_FILE}`));
  if (!file) throw new Error(`${PLUGIN_FILE} not found in the archive from ${url}`);
  return file;
}

/** The contents of the first regular file of a ustar archive whose name `match`es. */
export function tarEntry(tar: Buffer, match: (name: string) => boolean): Buffer | undefined {
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return undefined;
    const field = (from: number, len: number): string =>
      header.toString("utf8", from, from + len).replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const start = at + 512;
    if ((type === "0" || type === "") && match(name.replace(/^\.\//, ""))) return tar.subarray(start, start + size);
    at = start + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The registry's v2 API for one repository, authenticating as its challenges ask. */
class RegistryClient {
  private authorization?: string;
  private readonly base: string;

  constructor(
    private readonly ref: ImageRef,
    private readonly opts: PullOptions,
  ) {
    const host = ref.registry.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    const loopback = host === "localhost" || /^127\./.test(host) || host === "::1";
    this.base = `${loopback ? "http" : "https"}://${ref.registry}/v2/${ref.repository}`;
  }

  /** The manifest `reference` names (checked against it when it is a digest). */
  async manifest(reference: string): Promise<FetchResponse> {
    const r = await this.get(`${this.base}/manifests/${reference}`, { accept: MANIFEST_TYPES });
    if (r.status !== 200) throw new Error(`could not fetch manifest ${this.name(reference)}: ${statusText(r)}`);
    checkDigest(r.body, reference, `manifest ${this.name(reference)}`);
    return r;
  }

  /** The blob `digest` names, checked. */
  async blob(digest: string): Promise<Buffer> {
    const r = await this.get(`${this.base}/blobs/${digest}`, {});
    if (r.status !== 200) throw new Error(`could not fetch blob ${this.name(digest)}: ${statusText(r)}`);
    checkDigest(r.body, digest, `blob ${this.name(digest)}`);
    return r.body;
  }

  private name(reference: string): string {
    return `${this.ref.registry}/${this.ref.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
  }

  private async get(url: string, headers: Record<string, string>): Promise<FetchResponse> {
    const send = (): Promise<FetchResponse> =>
      httpFetch(url, {
        headers: { ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) },
        ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}),
      });
    const r = await send();
    if (r.status !== 401 || this.authorization) return r;
    this.authorization = await this.answer(String(r.headers["www-authenticate"] ?? ""));
    return send();
  }

  /** The Authorization header answering a 401's challenge. */
  private async answer(challenge: string): Promise<string> {
    const basic = credentialsFor(this.opts.dockerConfigJson, this.ref.registry);
    if (/^basic\b/i.test(challenge)) {
      if (!basic) throw new Error(`registry ${this.ref.registry} asks for credentials and no pull secret gives any`);
      return `Basic ${basic}`;
    }
    const params = Object.fromEntries(
      [...challenge.replace(/^bearer\s+/i, "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!/^bearer\b/i.test(challenge) || !params.realm) {
      throw new Error(`registry ${this.ref.registry} sent an unsupported challenge: ${challenge || "(none)"}`);
    }
    const token = new URL(params.realm);
    if (params.service) token.searchParams.set("service", params.service);
    token.searchParams.set("scope", params.scope ?? `repository:${this.ref.repository}:pull`);
    const r = await httpFetch(token.toString(), {
      headers: basic ? { authorization: `Basic ${basic}` } : {},
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
    });
    if (r.status !== 200) throw new Error(`token request to ${params.realm} failed: ${statusText(r)}`);
    const doc = parseJson(r.body, "token response");
    const value = doc.token ?? doc.access_token;
    if (typeof value !== "string") throw new Error(`token response of ${params.realm} has no token`);
    return `Bearer ${value}`;
  }
}

/** base64(`user:password`) for `registry` in a `.dockerconfigjson`, if it has an entry. */
export function credentialsFor(dockerConfigJson: string | undefined, registry: string): string | undefined {
  if (!dockerConfigJson) return undefined;
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(dockerConfigJson) as typeof doc;
  } catch {
    throw new Error("the pull secret's .dockerconfigjson is not JSON");
  }
  const hostOf = (k: string): string => k.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const dockerHub = (h: string): boolean => ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(h);
  const entry = Object.entries(doc.auths ?? {}).find(
    ([k]) => hostOf(k) === registry || (dockerHub(hostOf(k)) && dockerHub(registry)),
  )?.[1];
  if (!entry) return undefined;
  if (entry.auth) return entry.auth;
  if (entry.username !== undefined) return Buffer.from(`${entry.username}:${entry.password ?? ""}`).toString("base64");
  return undefined;
}

function checkDigest(body: Buffer, reference: string, what: string): void {
  if (!reference.startsWith("sha256:")) return;
  const got = sha256(body);
  if (`sha256:${got}` !== reference) throw new Error(`${what} has digest sha256:${got}`);
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function statusText(r: FetchResponse): string {
  const text = r.body.toString("utf8", 0, Math.min(r.body.length, 200)).trim();
  return `status ${r.status}${text ? `: ${text}` : ""}`;
}

function parseJson(body: Buffer, what: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(body.toString("utf8")) as unknown;
    if (typeof doc === "object" && doc !== null) return doc as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`the ${what} is not a JSON object`);
}

/**
 * Which Wasm modules the translation needs: every `wasm` entry of an EnvoyExtensionPolicy names an HTTP URL or an
 * OCI image. Translation is pure, so the fetching, checking, caching and serving runs outside it
 * (operator/src/pipeline/wasm-cache.ts) and its results come back in TranslateOptions.wasmModules; this file only
 * says what to fetch, with the trust and credentials to use, under one key that both sides compute the same way.
 */
import { createHash } from "node:crypto";
import type { UpstreamTlsIr } from "../ir/xds-ir";
import type { Secret } from "../resources/core";
import { ENVOY_GATEWAY_GROUP } from "../resources/envoy-gateway";
import type { EnvoyExtensionPolicySpec, WasmCodeSource } from "../resources/envoy-extension-policy";
import { namespaceOf } from "../resources/meta";
import type { SecretObjectReference } from "../resources/policy-common";
import type { ResourceSnapshot } from "../resources/snapshot";
import { ListenerRefs, secretValue } from "./listener-tls";
import { ReferenceGrantIndex } from "./reference-grants";

/** One module to fetch (or pull) and serve. */
export interface WasmSourceRequest {
  /** Cache key: what is fetched, from where, with what trust, expecting what (see {@link wasmSourceKey}). */
  readonly key: string;
  /** `HTTP`: the module at a URL; `Image`: the module in an OCI image. */
  readonly type: "HTTP" | "Image";
  /** The URL or image reference as the policy writes it. */
  readonly url: string;
  /**
   * Expected hex SHA-256 (without `sha256:`): of the module bytes for HTTP, of the image manifest for an image
   * (Envoy Gateway's two checksums); absent: not checked.
   */
  readonly sha256?: string;
  /** `Always` fetches again on every new request of this process; `IfNotPresent` uses the disk cache. */
  readonly pullPolicy: "IfNotPresent" | "Always";
  /** PEM CA bundle the server's certificate must chain to (`tls.caCertificateRef`); absent: the system CAs. */
  readonly caCertificate?: string;
  /** The registry credentials (`.dockerconfigjson` of `pullSecretRef`); absent: anonymous. */
  readonly dockerConfigJson?: string;
}

/** What fetching one module gave: where egts serves it and its sha256, or why it failed (Envoy Gateway's messages). */
export type WasmModuleResult =
  | {
      /** Path of the module on egts's module server (unguessable). */
      readonly path: string;
      /** Hex SHA-256 of the module bytes. */
      readonly sha256: string;
    }
  | {
      /** Why the module cannot be served. */
      readonly error: string;
    };

/** The modules fetched so far, and where Envoy reaches them. */
export interface WasmModules {
  /**
   * Base URL of egts's module server as Envoy reaches it (`http://127.0.0.1:18002` in standalone,
   * `https://envoy-gateway.<namespace>.svc.cluster.local:18002` in Kubernetes with mTLS).
   */
  readonly servingBase: string;
  /**
   * How Envoy's `wasm_cluster` originates TLS to the module server (Kubernetes with mTLS: the proxy's xDS client
   * certificate and CA); absent: plaintext.
   */
  readonly servingTls?: UpstreamTlsIr;
  /** Results by {@link WasmSourceRequest.key}; a source without one is still being fetched. */
  readonly results: ReadonlyMap<string, WasmModuleResult>;
}

/** The Secrets a source may read. */
export type SecretLookup = Pick<ListenerRefs, "secret" | "grants">;

/** The request for one entry's code source (references resolved in `namespace`), or why it cannot be made. */
export function wasmSourceRequest(
  code: WasmCodeSource,
  namespace: string,
  refs: SecretLookup,
): WasmSourceRequest | { error: string } {
  const source = sourceOf(code);
  if ("error" in source) return source;
  const { type, url, sha256 } = source;
  const ca = secretKey(source.tls?.caCertificateRef, "ca.crt", namespace, refs);
  if (typeof ca === "object") return ca;
  const pull =
    type === "Image" ? secretKey(code.image?.pullSecretRef, ".dockerconfigjson", namespace, refs) : undefined;
  if (typeof pull === "object") return pull;
  const base = {
    type,
    url,
    pullPolicy: code.pullPolicy ?? (type === "Image" && url.endsWith(":latest") ? "Always" : "IfNotPresent"),
    ...(sha256 ? { sha256 } : {}),
    ...(ca ? { caCertificate: ca } : {}),
    ...(pull ? { dockerConfigJson: pull } : {}),
  } as const;
  return { key: wasmSourceKey(base), ...base };
}

/** The source of the code's type, its URL and expected sha256 (lower-case hex), or why it is not usable. */
function sourceOf(
  code: WasmCodeSource,
):
  | { type: "HTTP" | "Image"; url: string; sha256?: string; tls?: { caCertificateRef: SecretObjectReference } }
  | { error: string } {
  const type = code?.type;
  if (type !== "HTTP" && type !== "Image") return { error: `unsupported Wasm code source type "${String(type)}"` };
  const source = type === "HTTP" ? code.http : code.image;
  if (!source || typeof source.url !== "string" || source.url === "") {
    return { error: `${type === "HTTP" ? "http" : "image"} code source must be set for type ${type}` };
  }
  const sha256 = source.sha256?.replace(/^sha256:/, "").toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
    return { error: `invalid sha256 ${source.sha256}: expected 64 hex digits` };
  }
  return { type, url: source.url, ...(sha256 ? { sha256 } : {}), ...(source.tls ? { tls: source.tls } : {}) };
}

/** The value under `key` of the Secret `ref` names (undefined without a ref), or why it cannot be read. */
function secretKey(
  ref: SecretObjectReference | undefined,
  key: string,
  namespace: string,
  refs: SecretLookup,
): string | undefined | { error: string } {
  if (!ref) return undefined;
  const found = secretOf(ref, namespace, refs);
  if ("error" in found) return found;
  return secretValue(found.secret, key) || { error: `missing ${key} key in secret ${found.key}` };
}

/**
 * The cache key of a source: type, URL and expected sha256 in clear (readable in logs), plus a digest of the trust
 * and credentials, so that a changed CA or pull secret is a new fetch.
 */
export function wasmSourceKey(r: Omit<WasmSourceRequest, "key">): string {
  const secrets = createHash("sha256")
    .update(`${r.caCertificate ?? ""}\0${r.dockerConfigJson ?? ""}\0${r.pullPolicy}`)
    .digest("hex")
    .slice(0, 16);
  return `${r.type} ${r.url} ${r.sha256 ?? "-"} ${secrets}`;
}

/** Every module `snapshot`'s EnvoyExtensionPolicies name, by key (entries that cannot be requested are left out). */
export function wasmSourcesToFetch(snapshot: ResourceSnapshot): Map<string, WasmSourceRequest> {
  const out = new Map<string, WasmSourceRequest>();
  const policies = snapshot.policies?.envoyExtensionPolicies ?? [];
  if (!policies.some((p) => ((p.spec as EnvoyExtensionPolicySpec | undefined)?.wasm ?? []).length > 0)) return out;
  const refs = new ListenerRefs(snapshot, new ReferenceGrantIndex(snapshot.referenceGrants ?? []));
  for (const p of policies) {
    for (const entry of (p.spec as EnvoyExtensionPolicySpec | undefined)?.wasm ?? []) {
      const r = wasmSourceRequest(entry.code, namespaceOf(p.metadata), refs);
      if ("key" in r) out.set(r.key, r);
    }
  }
  return out;
}

/** The Secret `ref` names (a ReferenceGrant needed across namespaces), or Envoy Gateway's reason it cannot be used. */
function secretOf(
  ref: SecretObjectReference,
  namespace: string,
  refs: SecretLookup,
): { secret: Secret; key: string } | { error: string } {
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Secret") !== "Secret") {
    return { error: `secret ref ${ref.name} must be a core Secret` };
  }
  const ns = ref.namespace !== undefined && ref.namespace !== "" ? ref.namespace : namespace;
  const from = { group: ENVOY_GATEWAY_GROUP, kind: "EnvoyExtensionPolicy", namespace };
  if (!refs.grants.allows(from, { group: "", kind: "Secret", namespace: ns, name: ref.name })) {
    return { error: `ref to Secret ${ns}/${ref.name} not permitted by any ReferenceGrant` };
  }
  const secret = refs.secret(`${ns}/${ref.name}`);
  return secret ? { secret, key: `${ns}/${ref.name}` } : { error: `secret ${ns}/${ref.name} does not exist` };
}

/**
 * The `extensionManager` section of the EnvoyGateway configuration (Envoy Gateway's ExtensionManager): the
 * extension server egts calls after translating each proxy fleet's configuration (pipeline/extension-hooks.ts),
 * the kinds it owns, the hooks it implements, how to reach it and what a failure does.
 */
import { isScalar } from "yaml";
import { quantityValue } from "../translate/quantity";
import type { ConfigWalk } from "./config-walk";
import { readSecretRef, type SecretRef } from "./envoy-gateway-ratelimit";

/** The post-translation hooks of Envoy Gateway's `hooks.xdsTranslator.post`. */
export const EXTENSION_HOOKS = ["VirtualHost", "Route", "HTTPListener", "Cluster", "Endpoints", "Translation"] as const;

/** One hook name. */
export type ExtensionHook = (typeof EXTENSION_HOOKS)[number];

/** A kind the extension owns (`group` and `kind`; the version is not part of the match, as in Envoy Gateway). */
export interface ExtensionKind {
  /** API group, e.g. example.extensions.io. */
  readonly group: string;
  /** API version, as written. */
  readonly version: string;
  /** Kind. */
  readonly kind: string;
}

/** Where the extension server listens. */
export type ExtensionAddress =
  | { readonly type: "tcp"; readonly host: string; readonly port: number }
  | { readonly type: "unix"; readonly path: string };

/** The gRPC retry policy of calls to the extension server (`service.retry`), defaults filled in. */
export interface ExtensionRetry {
  /** `maxAttempts`. @default 4 */
  readonly maxAttempts: number;
  /** `initialBackoff` in milliseconds. @default 100 */
  readonly initialBackoffMs: number;
  /** `maxBackoff` in milliseconds. @default 1000 */
  readonly maxBackoffMs: number;
  /** `backoffMultiplier` (a Gateway API Fraction). @default 2 */
  readonly backoffMultiplier: number;
  /** `RetryableStatusCodes` (gRPC status names). @default ["UNAVAILABLE"] */
  readonly retryableStatusCodes: readonly string[];
}

/** `extensionManager` (or one of `extensionManagers`), defaults filled in. */
export interface ExtensionManagerConfig {
  /** `name` (required in `extensionManagers`, unique there): names the server in logs and errors. @default "" */
  readonly name: string;
  /** `resources`: kinds usable as HTTPRoute / GRPCRoute `ExtensionRef` filters. */
  readonly resources: readonly ExtensionKind[];
  /** `backendResources`: kinds usable as route backendRefs (their clusters go through the Cluster hook). */
  readonly backendResources: readonly ExtensionKind[];
  /**
   * `policyResources`: policy kinds (objects with `targetRef(s)`) attached directly to Gateways, listeners, routes
   * and route rules; their objects are sent to the Route, HTTPListener and Translation hooks (as Envoy Gateway does).
   */
  readonly policyResources: readonly ExtensionKind[];
  /** `hooks.xdsTranslator.post`: the hooks egts calls. */
  readonly hooks: readonly ExtensionHook[];
  /** `hooks.xdsTranslator.translation.*.includeAll`: what the Translation hook is sent. */
  readonly translation: {
    readonly listeners: boolean;
    readonly routes: boolean;
    readonly clusters: boolean;
    readonly secrets: boolean;
  };
  /** `service`: the address, TLS and retries. */
  readonly service: {
    readonly address: ExtensionAddress;
    /** `tls`: the CA Secret (`tls.crt`) verifying the server and the client certificate Secret for mTLS. */
    readonly tls?: { readonly certificateRef: SecretRef; readonly clientCertificateRef?: SecretRef };
    readonly retry: ExtensionRetry;
  };
  /** `failOpen`: a hook failure sends the unmodified configuration (else the fleet keeps its last good one). */
  readonly failOpen: boolean;
  /** `maxMessageSize` in bytes, both directions. @default 4 MiB */
  readonly maxMessageSize: number;
  /** Where the section is, for messages. */
  readonly at: string;
}

/** Envoy Gateway's defaults. */
export const DEFAULT_EXTENSION_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
const DEFAULT_RETRY: ExtensionRetry = {
  maxAttempts: 4,
  initialBackoffMs: 100,
  maxBackoffMs: 1000,
  backoffMultiplier: 2,
  retryableStatusCodes: ["UNAVAILABLE"],
};
const GRPC_CODES = [
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads `extensionManagers` (several servers, each with a unique `name`; Envoy Gateway chains them in list order:
 * each one's answer is the next one's input); problems go to `w`.
 */
export function readExtensionManagers(w: ConfigWalk, node: unknown): ExtensionManagerConfig[] {
  const items = w.list(node, "extensionManagers");
  if (items.length === 0) w.error(node, "extensionManagers must contain at least one entry when specified");
  const names = new Set<string>();
  return items.flatMap((item, i) => {
    const m = readExtensionManager(w, item, `extensionManagers[${i}]`);
    if (!m) return [];
    if (m.name === "") {
      w.error(item, `extensionManagers[${i}].name is required (it names the server in logs and errors)`);
      return [];
    }
    if (names.has(m.name)) {
      w.error(item, `extensionManagers[${i}]: duplicate name ${m.name}`);
      return [];
    }
    names.add(m.name);
    return [m];
  });
}

/** Reads `extensionManager` (or one entry of `extensionManagers`, at `path`); problems go to `w`. */
export function readExtensionManager(
  w: ConfigWalk,
  node: unknown,
  path = "extensionManager",
): ExtensionManagerConfig | undefined {
  const out: Partial<Mutable<ExtensionManagerConfig>> = {
    name: "",
    resources: [],
    backendResources: [],
    policyResources: [],
    failOpen: false,
    maxMessageSize: DEFAULT_EXTENSION_MAX_MESSAGE_SIZE,
    at: w.at(node),
  };
  let hooks: Pick<ExtensionManagerConfig, "hooks" | "translation"> | undefined;
  let service: ExtensionManagerConfig["service"] | undefined;
  w.fields(node, path, {
    name: (v) => (out.name = w.string(v, `${path}.name`) ?? ""),
    resources: (v) => (out.resources = readKinds(w, v, `${path}.resources`)),
    policyResources: (v) => (out.policyResources = readKinds(w, v, `${path}.policyResources`)),
    backendResources: (v) => (out.backendResources = readKinds(w, v, `${path}.backendResources`)),
    hooks: (v) => (hooks = readHooks(w, v, `${path}.hooks`)),
    service: (v) => (service = readService(w, v, `${path}.service`)),
    failOpen: (v) => (out.failOpen = w.bool(v, `${path}.failOpen`) ?? false),
    maxMessageSize: (v) => {
      const raw = isScalar(v) && (typeof v.value === "number" || typeof v.value === "string") ? v.value : undefined;
      const n = raw === undefined ? undefined : quantityValue(raw);
      if (n === undefined || n < 1 || n > 2 ** 31 - 1) {
        w.error(v, `${path}.maxMessageSize must be a quantity of bytes from 1 to 2Gi-1 (e.g. 4M, 10Mi)`);
      } else out.maxMessageSize = n;
    },
  });
  if (!hooks) w.error(node, `${path}.hooks is required (hooks.xdsTranslator.post lists the hooks to call)`);
  if (!service) w.error(node, `${path}.service is required (fqdn, ip or unix: where the extension server is)`);
  if (!hooks || !service) return undefined;
  return { ...(out as Omit<ExtensionManagerConfig, "hooks" | "translation" | "service">), ...hooks, service };
}

/** A list of GroupVersionKind. */
function readKinds(w: ConfigWalk, node: unknown, path: string): ExtensionKind[] {
  return w.list(node, path).flatMap((item, i) => {
    const k: Partial<Mutable<ExtensionKind>> = {};
    const at = `${path}[${i}]`;
    w.fields(item, at, {
      group: (v) => (k.group = w.string(v, `${at}.group`)),
      version: (v) => (k.version = w.nonEmpty(v, `${at}.version`)),
      kind: (v) => (k.kind = w.nonEmpty(v, `${at}.kind`)),
    });
    if (k.group === undefined || k.version === undefined || k.kind === undefined) {
      w.error(item, `${at} needs group, version and kind`);
      return [];
    }
    return [k as ExtensionKind];
  });
}

/**
 * `hooks`: `xdsTranslator` `post` hooks and the Translation hook's includes. `pre` hooks are accepted with a note
 * and never called: Envoy Gateway v1.9.1 reads them (a server with only pre hooks is valid) but calls none.
 */
function readHooks(w: ConfigWalk, node: unknown, path: string): Pick<ExtensionManagerConfig, "hooks" | "translation"> {
  let hooks: ExtensionHook[] = [];
  // Envoy Gateway's defaults: clusters and secrets included, listeners and routes not.
  const translation = { listeners: false, routes: false, clusters: true, secrets: true };
  w.fields(node, path, {
    xdsTranslator: (x) =>
      w.fields(x, `${path}.xdsTranslator`, {
        pre: (v) => {
          const pre = w.strings(v, `${path}.xdsTranslator.pre`);
          if (pre.length > 0) {
            w.note(
              v,
              `${path}.xdsTranslator.pre: ${pre.join(", ")} accepted, never called: Envoy Gateway v1.9.1 calls no pre-translation hook either`,
            );
          }
        },
        post: (v) => {
          const items = w.list(v, `${path}.xdsTranslator.post`);
          hooks = w.strings(v, `${path}.xdsTranslator.post`).flatMap((h, i) => {
            if ((EXTENSION_HOOKS as readonly string[]).includes(h)) return [h as ExtensionHook];
            w.error(items[i], `${path}.xdsTranslator.post[${i}]: ${h} is not one of ${EXTENSION_HOOKS.join(", ")}`);
            return [];
          });
        },
        translation: (t) => {
          const tp = `${path}.xdsTranslator.translation`;
          const include = (key: keyof typeof translation, field: string) => (v: unknown) =>
            w.fields(v, `${tp}.${field}`, {
              includeAll: (b) => (translation[key] = w.bool(b, `${tp}.${field}.includeAll`) ?? translation[key]),
            });
          w.fields(t, tp, {
            listener: include("listeners", "listener"),
            route: include("routes", "route"),
            cluster: include("clusters", "cluster"),
            secret: include("secrets", "secret"),
          });
        },
      }),
  });
  return { hooks: [...new Set(hooks)], translation };
}

/**
 * `service`: exactly one of fqdn, ip, unix or the deprecated host (+ port, default 80), then TLS and retry. The
 * address is chosen as Envoy Gateway v1.9.1 dials it: fqdn, else ip, else unix, else `hostname` + port, else host +
 * port; its validation needs one of fqdn, ip, unix or host, so `hostname` (of the inline BackendEndpoint) only
 * takes effect beside the deprecated `host`, which it replaces. `zone` has nothing to act on (one server).
 */
function readService(w: ConfigWalk, node: unknown, path: string): ExtensionManagerConfig["service"] | undefined {
  const addresses: ExtensionAddress[] = [];
  let host: string | undefined;
  let hostname: { readonly name: string; readonly node: unknown } | undefined;
  let port = 80;
  let tls: ExtensionManagerConfig["service"]["tls"];
  let retry = DEFAULT_RETRY;
  const hostPort = (key: "fqdn" | "ip", hostKey: "hostname" | "address") => (v: unknown) => {
    let h: string | undefined;
    let p: number | undefined;
    w.fields(v, `${path}.${key}`, {
      [hostKey]: (x: unknown) => (h = w.nonEmpty(x, `${path}.${key}.${hostKey}`)),
      port: (x: unknown) => (p = w.int(x, `${path}.${key}.port`, 1, 65535)),
    });
    if (h === undefined || p === undefined) w.error(v, `${path}.${key} needs ${hostKey} and port`);
    else addresses.push({ type: "tcp", host: h, port: p });
  };
  w.fields(node, path, {
    fqdn: hostPort("fqdn", "hostname"),
    ip: hostPort("ip", "address"),
    unix: (v) =>
      w.fields(v, `${path}.unix`, {
        path: (p) => {
          const socket = w.nonEmpty(p, `${path}.unix.path`);
          if (socket && socket.length > MAX_UNIX_PATH) {
            w.error(p, `${path}.unix.path must not exceed ${MAX_UNIX_PATH} characters (a unix socket address limit)`);
          } else if (socket) addresses.push({ type: "unix", path: socket });
        },
      }),
    hostname: (v) => {
      const name = w.nonEmpty(v, `${path}.hostname`);
      if (name !== undefined) hostname = { name, node: v };
    },
    zone: (v) =>
      w.note(
        v,
        `${path}.zone: accepted, no effect: a single extension server has no zone to prefer (nor in Envoy Gateway)`,
      ),
    host: (v) => (host = w.nonEmpty(v, `${path}.host`)),
    port: (v) => (port = w.int(v, `${path}.port`, 1, 65535) ?? port),
    tls: (v) => (tls = readTls(w, v, `${path}.tls`)),
    retry: (v) => (retry = readRetry(w, v, `${path}.retry`)),
  });
  if (host !== undefined) addresses.push({ type: "tcp", host: hostname?.name ?? host, port });
  if (addresses.length !== 1) {
    const alone = addresses.length === 0 && hostname ? ` (hostname needs the deprecated host beside it)` : "";
    w.error(node, `${path} needs exactly one of fqdn, ip, unix or host (got ${addresses.length})${alone}`);
    return undefined;
  }
  if (hostname && host === undefined) {
    w.note(
      hostname.node,
      `${path}.hostname: not used, the ${addressKind(addresses[0])} address is (as in Envoy Gateway)`,
    );
  }
  return { address: addresses[0], ...(tls ? { tls } : {}), retry };
}

/** Longest unix socket path (Envoy Gateway's limit on a UnixSocket path, the kernel's sun_path). */
const MAX_UNIX_PATH = 108;

function addressKind(a: ExtensionAddress): string {
  return a.type === "unix" ? "unix" : "fqdn or ip";
}

function readTls(w: ConfigWalk, node: unknown, path: string): ExtensionManagerConfig["service"]["tls"] {
  let certificateRef: SecretRef | undefined;
  let clientCertificateRef: SecretRef | undefined;
  w.fields(node, path, {
    certificateRef: (v) => (certificateRef = readSecretRef(w, v, `${path}.certificateRef`)),
    clientCertificateRef: (v) => (clientCertificateRef = readSecretRef(w, v, `${path}.clientCertificateRef`)),
  });
  if (!certificateRef) {
    w.error(node, `${path}.certificateRef is required (the CA that signs the extension server's certificate)`);
    return undefined;
  }
  return { certificateRef, ...(clientCertificateRef ? { clientCertificateRef } : {}) };
}

function readRetry(w: ConfigWalk, node: unknown, path: string): ExtensionRetry {
  const r: Mutable<ExtensionRetry> = { ...DEFAULT_RETRY };
  w.fields(node, path, {
    maxAttempts: (v) => (r.maxAttempts = w.int(v, `${path}.maxAttempts`, 1, 5) ?? r.maxAttempts),
    initialBackoff: (v) => (r.initialBackoffMs = positive(w, v, `${path}.initialBackoff`) ?? r.initialBackoffMs),
    maxBackoff: (v) => (r.maxBackoffMs = positive(w, v, `${path}.maxBackoff`) ?? r.maxBackoffMs),
    backoffMultiplier: (v) => (r.backoffMultiplier = readFraction(w, v, `${path}.backoffMultiplier`) ?? 2),
    RetryableStatusCodes: (v) => {
      const items = w.list(v, `${path}.RetryableStatusCodes`);
      r.retryableStatusCodes = w.strings(v, `${path}.RetryableStatusCodes`).filter((c, i) => {
        const ok = (GRPC_CODES as readonly string[]).includes(c);
        if (!ok) w.error(items[i], `${path}.RetryableStatusCodes[${i}]: ${c} is not a gRPC status code name`);
        return ok;
      });
    },
  });
  return r;
}

function positive(w: ConfigWalk, node: unknown, path: string): number | undefined {
  const ms = w.duration(node, path);
  if (ms === 0) w.error(node, `${path} must be more than 0`);
  return ms === 0 ? undefined : ms;
}

/** A Gateway API Fraction `{numerator, denominator}` (denominator 100 by default). */
function readFraction(w: ConfigWalk, node: unknown, path: string): number | undefined {
  let numerator: number | undefined;
  let denominator = 100;
  w.fields(node, path, {
    numerator: (v) => (numerator = w.int(v, `${path}.numerator`, 0, 2 ** 31 - 1)),
    denominator: (v) => (denominator = w.int(v, `${path}.denominator`, 1, 2 ** 31 - 1) ?? denominator),
  });
  if (numerator === undefined) w.error(node, `${path}.numerator is required`);
  return numerator === undefined ? undefined : numerator / denominator;
}

